package dev.canopy.peers;

import ai.djl.engine.Engine;
import java.nio.file.Path;

/**
 * Starts PyTorch through DJL without ever touching the network. DJL downloads native code when a piece is missing
 * or its versions disagree; offline mode turns that into an immediate error naming the piece, which is what a
 * benchmark (or a machine without internet) needs. The four DJL artifacts in peers/pom.xml are the set that needs
 * no download.
 */
public final class DjlOffline {
    private static Engine engine;

    private DjlOffline() {}

    /** The PyTorch engine, configured on first call. Set DJL_CACHE_DIR to move the ~450 MB of extracted natives. */
    public static synchronized Engine pytorch() {
        if (engine == null) {
            System.setProperty("ai.djl.offline", "true");
            if (System.getenv("DJL_CACHE_DIR") == null && System.getProperty("DJL_CACHE_DIR") == null) {
                Path cache = Path.of(System.getProperty("user.home"), ".cache", "canopy", "djl");
                System.setProperty("DJL_CACHE_DIR", cache.toString());
            }
            try {
                engine = Engine.getEngine("PyTorch");
            } catch (RuntimeException e) {
                throw new IllegalStateException("PyTorch through DJL did not start offline (DJL_CACHE_DIR="
                        + System.getProperty("DJL_CACHE_DIR", System.getenv("DJL_CACHE_DIR")) + "): " + e.getMessage()
                        + (e.getCause() != null ? " / " + e.getCause().getMessage() : ""), e);
            }
        }
        return engine;
    }
}
