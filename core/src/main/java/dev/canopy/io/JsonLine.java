package dev.canopy.io;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds one flat JSON object, printed as a single line: benchmark output, run files, metrics logs. */
public final class JsonLine {
    private final Map<String, String> fields = new LinkedHashMap<>();

    public JsonLine put(String key, String value) {
        fields.put(key, value == null ? "null" : Json.quote(value));
        return this;
    }

    public JsonLine put(String key, long value) {
        fields.put(key, Long.toString(value));
        return this;
    }

    public JsonLine put(String key, double value) {
        fields.put(key, Double.isFinite(value) ? String.format(Locale.ROOT, "%.6g", value) : "null");
        return this;
    }

    public JsonLine put(String key, boolean value) {
        fields.put(key, Boolean.toString(value));
        return this;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        fields.forEach((k, v) -> {
            if (sb.length() > 1) sb.append(',');
            sb.append(Json.quote(k)).append(':').append(v);
        });
        return sb.append('}').toString();
    }
}
