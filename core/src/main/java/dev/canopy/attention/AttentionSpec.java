package dev.canopy.attention;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A parsed attention spec such as {@code topk:k=64,chunk=512}: a family name and key=value options. */
public record AttentionSpec(String name, Map<String, String> options) {

    public static AttentionSpec parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("attention spec is empty; expected e.g. exact or topk:k=64");
        String trimmed = text.trim();
        int colon = trimmed.indexOf(':');
        String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).trim().toLowerCase(java.util.Locale.ROOT);
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String part : trimmed.substring(colon + 1).split(",")) {
                if (part.isBlank()) continue;
                int eq = part.indexOf('=');
                if (eq <= 0 || eq == part.length() - 1) {
                    throw new IllegalArgumentException("attention spec '" + text + "': option '" + part.trim() + "' is not of the form key=value");
                }
                options.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        return new AttentionSpec(name, Collections.unmodifiableMap(options));
    }

    /**
     * Splits a comma-separated list of specs, where a piece with '=' but no ':' is an option of the spec before it:
     * {@code tf:h=8,tc:h=8,exact} gives three specs and {@code topk:k=64,chunk=512,exact} gives two.
     */
    public static java.util.List<String> splitList(String text) {
        java.util.List<String> specs = new java.util.ArrayList<>();
        for (String piece : text.split(",")) {
            String p = piece.trim();
            if (p.isEmpty()) continue;
            if (p.contains("=") && !p.contains(":")) {
                if (specs.isEmpty()) throw new IllegalArgumentException("attention list '" + text + "' starts with an option '" + p + "' that belongs to no attention");
                specs.set(specs.size() - 1, specs.get(specs.size() - 1) + "," + p);
            } else {
                specs.add(p);
            }
        }
        if (specs.isEmpty()) throw new IllegalArgumentException("attention list is empty");
        return specs;
    }

    /** Rejects options this family does not know, so a typo never silently falls back to a default. */
    public AttentionSpec allowOnly(String... known) {
        Set<String> allowed = Set.of(known);
        for (String key : options.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("attention '" + name + "' has no option '" + key + "'; known options: " + String.join(", ", known));
            }
        }
        return this;
    }

    public int intOption(String key, int fallback) {
        String value = options.get(key);
        if (value == null) return fallback;
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("attention '" + name + "': option " + key + "=" + value + " is not an integer");
        }
    }

    public float floatOption(String key, float fallback) {
        String value = options.get(key);
        if (value == null) return fallback;
        try {
            return Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("attention '" + name + "': option " + key + "=" + value + " is not a number");
        }
    }

    public String stringOption(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    public boolean boolOption(String key, boolean fallback) {
        String value = options.get(key);
        if (value == null) return fallback;
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException("attention '" + name + "': option " + key + "=" + value + " is not true/false");
        };
    }
}
