package dev.canopy.train;

/**
 * Linear warm-up to the peak rate, then cosine or linear decay to minRatio * peak at the last step (or constant).
 *
 * @param kind     the shape after warm-up
 * @param peak     the rate at the end of warm-up
 * @param warmup   steps of linear warm-up
 * @param total    steps in the run
 * @param minRatio the last step's rate as a fraction of the peak
 */
public record LrSchedule(Kind kind, double peak, int warmup, int total, double minRatio) {
    /** The shape of the decay. */
    public enum Kind {
        /** Half a cosine from the peak down to the minimum. */
        COSINE,
        /** A straight line from the peak down to the minimum. */
        LINEAR,
        /** The peak throughout. */
        CONSTANT
    }

    public LrSchedule {
        if (kind == null) throw new IllegalArgumentException("learning-rate schedule needs a kind: cosine, linear or constant");
        if (!(peak > 0) || Double.isInfinite(peak) || warmup < 0 || total < 1 || !(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("learning-rate schedule needs peak > 0, warmup >= 0, total >= 1, 0 <= min ratio <= 1; got peak="
                    + peak + " warmup=" + warmup + " total=" + total + " min=" + minRatio);
        }
    }

    public static Kind kind(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cosine" -> Kind.COSINE;
            case "linear" -> Kind.LINEAR;
            case "constant" -> Kind.CONSTANT;
            default -> throw new IllegalArgumentException("unknown learning-rate decay '" + name + "'; known: cosine, linear, constant");
        };
    }

    /** Rate for step (0-based). */
    public double at(int step) {
        if (step < warmup) return peak * (step + 1) / (warmup + 1);
        if (kind == Kind.CONSTANT || total <= warmup) return peak;
        double t = Math.min(1.0, (step - warmup) / (double) Math.max(1, total - warmup - 1));
        double shape = kind == Kind.COSINE ? 0.5 * (1 + Math.cos(Math.PI * t)) : 1 - t;
        return peak * (minRatio + (1 - minRatio) * shape);
    }
}
