package dev.canopy.spark.model;

/** What became of one input row: a value, or the reason there is none (a bad row never fails a job). */
public record Outcome<T>(T value, String error) {
    public static <T> Outcome<T> of(T value) {
        return new Outcome<>(value, null);
    }

    public static <T> Outcome<T> failed(String reason) {
        return new Outcome<>(null, reason);
    }

    public boolean ok() {
        return error == null;
    }
}
