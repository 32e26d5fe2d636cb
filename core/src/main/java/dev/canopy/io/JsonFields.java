package dev.canopy.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One JSON object read from a file (a run's task.json, model.json, train.json), with typed getters. Every problem
 * (empty, truncated, not an object, a missing field, a wrong type, a value its reader rejects) is an
 * IllegalArgumentException whose message starts with the file, so the user learns which file to fix and how.
 */
public final class JsonFields {
    /** Run files are a few hundred bytes; anything much larger is the wrong file. */
    public static final long MAX_BYTES = 1L << 20;

    private final String source;
    private final Map<String, Object> fields;

    private JsonFields(String source, Map<String, Object> fields) {
        this.source = source;
        this.fields = fields;
    }

    /** Reads the file; I/O problems are IOExceptions and content problems IllegalArgumentExceptions, both naming it. */
    public static JsonFields read(Path file) throws IOException {
        return parse(TextFiles.readUtf8(file, MAX_BYTES), file.toString());
    }

    /** Parses text that came from {@code source} (a file name, or a description such as "model config JSON"). */
    @SuppressWarnings("unchecked")
    public static JsonFields parse(String text, String source) {
        if (text.isBlank()) throw new Invalid(source + ": the file is empty; expected a JSON object");
        Object value;
        try {
            value = Json.parse(text);
        } catch (IllegalArgumentException e) {
            boolean cut = e.getMessage().contains("end of input") || e.getMessage().contains("unterminated");
            throw new Invalid(source + ": not valid JSON" + (cut ? " (truncated?)" : "") + ": " + e.getMessage());
        }
        if (!(value instanceof Map)) throw new Invalid(source + ": expected a JSON object {...} at the top level, got " + kind(value));
        return new JsonFields(source, (Map<String, Object>) value);
    }

    public String source() {
        return source;
    }

    /**
     * Builds a value from these fields; an IllegalArgumentException from the builder (a value out of range, an unknown
     * name) is re-thrown with the file in front.
     */
    public <T> T as(Function<JsonFields, T> builder) {
        try {
            return builder.apply(this);
        } catch (Invalid e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new Invalid(source + ": " + e.getMessage());
        }
    }

    /** The keys, in the file's order. */
    public Set<String> keys() {
        return fields.keySet();
    }

    public boolean has(String key) {
        return fields.containsKey(key) && fields.get(key) != null;
    }

    public String string(String key) {
        if (required(key) instanceof String s) return s;
        throw wrongType(key, "a string");
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    public long longValue(String key) {
        if (required(key) instanceof Long v) return v;
        throw wrongType(key, "a whole number");
    }

    public int integer(String key) {
        long v = longValue(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new Invalid(source + ": \"" + key + "\" is " + v + ", out of range");
        return (int) v;
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        if (fields.get(key) instanceof Boolean b) return b;
        throw wrongType(key, "true or false");
    }

    /** A number, written either as a JSON number or as a string (exact decimal round trips store "0.005"). */
    public double real(String key) {
        Object v = required(key);
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw wrongType(key, "a number");
    }

    /** As {@link #real} for a float field: a string is parsed as a float, so Float.toString's text reads back exactly. */
    public float real32(String key) {
        Object v = required(key);
        if (v instanceof String s) {
            try {
                return Float.parseFloat(s.strip());
            } catch (NumberFormatException e) {
                throw wrongType(key, "a number");
            }
        }
        return (float) real(key);
    }

    private Object required(String key) {
        Object v = fields.get(key);
        if (v == null) throw new Invalid(source + ": \"" + key + "\" is missing" + (fields.containsKey(key) ? " (null)" : ""));
        return v;
    }

    private Invalid wrongType(String key, String expected) {
        Object v = fields.get(key);
        String shown = v instanceof String s ? Json.quote(s.length() > 40 ? s.substring(0, 40) + "..." : s) : kind(v) + (v instanceof Number || v instanceof Boolean ? " " + v : "");
        return new Invalid(source + ": \"" + key + "\" must be " + expected + ", got " + shown);
    }

    private static String kind(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Number n -> "a number";
            default -> v.getClass().getSimpleName();
        };
    }

    /** A problem with the file's content; its message already names the file. */
    public static final class Invalid extends IllegalArgumentException {
        Invalid(String message) {
            super(message);
        }
    }
}
