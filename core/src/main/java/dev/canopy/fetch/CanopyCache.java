package dev.canopy.fetch;

import java.nio.file.Path;

/**
 * Where Canopy keeps what it fetches on first use (model weights, data packages): {@code $CANOPY_CACHE}, the system
 * property {@code canopy.cache}, or {@code ~/.cache/canopy}. Nothing here is ever committed or bundled.
 */
public final class CanopyCache {
    private CanopyCache() {}

    public static Path root() {
        String configured = System.getProperty("canopy.cache", System.getenv("CANOPY_CACHE"));
        if (configured != null && !configured.isBlank()) return Path.of(configured).toAbsolutePath();
        return Path.of(System.getProperty("user.home"), ".cache", "canopy");
    }

    public static Path models() {
        return root().resolve("models");
    }

    /** Data packages fetched with npm pack. */
    public static Path npm() {
        return root().resolve("npm");
    }
}
