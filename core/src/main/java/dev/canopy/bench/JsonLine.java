package dev.canopy.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds one flat JSON object, printed as a single line: the output format of every benchmark. */
public final class JsonLine {
    private final Map<String, String> fields = new LinkedHashMap<>();

    public JsonLine put(String key, String value) {
        fields.put(key, value == null ? "null" : quote(value));
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
            sb.append(quote(k)).append(':').append(v);
        });
        return sb.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.append('"').toString();
    }
}
