package dev.canopy.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text form every spec takes on the command line and in run files: a name and key=value options,
 * {@code topk:k=64,chunk=512}. This class only splits the text; {@link OptionSchema} says which keys a name accepts.
 *
 * @param kind what the text names, for error messages ("attention", "schedule", "feed-forward")
 */
public record NamedOptions(String kind, String name, Map<String, String> values) {

    public static NamedOptions parse(String kind, String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException(kind + " spec is empty");
        String trimmed = text.trim();
        int colon = trimmed.indexOf(':');
        String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) throw new IllegalArgumentException(kind + " spec '" + text + "' has no name before ':'");
        Map<String, String> values = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String part : trimmed.substring(colon + 1).split(",")) {
                if (part.isBlank()) continue;
                int eq = part.indexOf('=');
                if (eq <= 0 || eq == part.length() - 1) {
                    throw new IllegalArgumentException(kind + " spec '" + text + "': option '" + part.trim() + "' is not of the form key=value");
                }
                String key = part.substring(0, eq).trim();
                if (values.put(key, part.substring(eq + 1).trim()) != null) {
                    throw new IllegalArgumentException(kind + " spec '" + text + "' sets option '" + key + "' twice");
                }
            }
        }
        return new NamedOptions(kind, name, Collections.unmodifiableMap(values));
    }

    /**
     * Splits a comma-separated list of specs, where a piece with '=' but no ':' is an option of the spec before it:
     * {@code tf:h=8,tc:h=8,exact} gives three specs and {@code topk:k=64,chunk=512,exact} gives two.
     */
    public static List<String> splitList(String kind, String text) {
        List<String> specs = new ArrayList<>();
        for (String piece : text.split(",")) {
            String p = piece.trim();
            if (p.isEmpty()) continue;
            if (p.contains("=") && !p.contains(":")) {
                if (specs.isEmpty()) throw new IllegalArgumentException(kind + " list '" + text + "' starts with an option '" + p + "' that belongs to no " + kind);
                specs.set(specs.size() - 1, specs.get(specs.size() - 1) + "," + p);
            } else {
                specs.add(p);
            }
        }
        if (specs.isEmpty()) throw new IllegalArgumentException(kind + " list is empty");
        return specs;
    }

    /** The same options with one more (or one replaced) at the end. */
    public NamedOptions with(String key, String value) {
        Map<String, String> next = new LinkedHashMap<>(values);
        next.remove(key);
        next.put(key, value);
        return new NamedOptions(kind, name, Collections.unmodifiableMap(next));
    }

    /** The canonical text: name, then the options in the order given. */
    @Override
    public String toString() {
        if (values.isEmpty()) return name;
        StringBuilder b = new StringBuilder(name).append(':');
        values.forEach((k, v) -> b.append(k).append('=').append(v).append(','));
        b.setLength(b.length() - 1);
        return b.toString();
    }
}
