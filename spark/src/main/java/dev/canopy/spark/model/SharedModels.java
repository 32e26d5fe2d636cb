package dev.canopy.spark.model;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One read-only model per JVM and key, opened on first use. Spark runs several tasks at once in one executor (and
 * the driver is the executor in local mode); they all share the model, so the weights are read once per JVM rather
 * than shipped or loaded per task. A load that fails is not remembered: a retried task tries again.
 */
public final class SharedModels {
    private SharedModels() {}

    @FunctionalInterface
    public interface Loader<T> {
        T load() throws IOException;
    }

    /** Per key, a holder whose first caller loads while the others wait on it (so a model is never loaded twice at once). */
    private static final ConcurrentMap<String, Holder<?>> MODELS = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    public static <T> T get(String key, Loader<T> loader) throws IOException {
        Holder<T> h = (Holder<T>) MODELS.computeIfAbsent(key, k -> new Holder<>(loader));
        try {
            return h.get();
        } catch (IOException | RuntimeException e) {
            MODELS.remove(key, h);
            throw e;
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger LOADS = new java.util.concurrent.atomic.AtomicInteger();

    /** How many loads this JVM has started (for tests: one per model, however many tasks use it). */
    public static int loads() {
        return LOADS.get();
    }

    /** Forgets every model (tests). */
    public static void clear() {
        MODELS.clear();
    }

    private static final class Holder<T> {
        private final Loader<T> loader;
        private T value;

        Holder(Loader<T> loader) {
            this.loader = loader;
        }

        synchronized T get() throws IOException {
            if (value == null) {
                LOADS.incrementAndGet();
                value = loader.load();
            }
            return value;
        }
    }
}
