package dev.canopy.config;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The options one spec name accepts, each with its default (or none: required) and a line of help. Reading a spec
 * through its schema rejects unknown keys and missing required ones, so a typo never falls back to a default, and
 * gives the values with the defaults filled in.
 */
public record OptionSchema(String name, List<Option> options) {

    /** One option; {@code fallback} is null when the option is required. */
    public record Option(String key, String fallback, String help) {
        public boolean required() {
            return fallback == null;
        }
    }

    public static Option required(String key, String help) {
        return new Option(key, null, help);
    }

    public static Option optional(String key, String fallback, String help) {
        return new Option(key, fallback, help);
    }

    public OptionSchema {
        options = List.copyOf(options);
    }

    public Values read(NamedOptions given) {
        Map<String, String> filled = new LinkedHashMap<>();
        for (String key : given.values().keySet()) {
            if (options.stream().noneMatch(o -> o.key().equals(key))) {
                throw new IllegalArgumentException(given.kind() + " '" + name + "' has no option '" + key + "'; known options: " + keys());
            }
        }
        for (Option o : options) {
            String value = given.values().getOrDefault(o.key(), o.fallback());
            if (value == null) throw new IllegalArgumentException(given.kind() + " '" + name + "' needs option " + o.key() + " (" + o.help() + "), e.g. " + usage());
            filled.put(o.key(), value);
        }
        return new Values(given.kind() + " '" + name + "'", filled);
    }

    public String keys() {
        return options.stream().map(Option::key).collect(Collectors.joining(", "));
    }

    /** {@code topk:k=K[,chunk=1024][,dropout=0]}: required options as KEY, optional ones with their defaults. */
    public String usage() {
        StringBuilder b = new StringBuilder(name);
        char sep = ':';
        for (Option o : options) {
            if (o.required()) b.append(sep).append(o.key()).append('=').append(o.key().toUpperCase(Locale.ROOT));
            else b.append('[').append(sep == ':' ? ":" : ",").append(o.key()).append('=').append(o.fallback()).append(']');
            sep = ',';
        }
        return b.toString();
    }

    /** One line per option, for help texts. */
    public String help() {
        return options.stream().map(o -> "  " + o.key() + (o.required() ? " (required)" : " (default " + o.fallback() + ")") + ": " + o.help())
                .collect(Collectors.joining("\n"));
    }

    /** A spec's values, defaults filled in, with typed getters whose errors name the spec and the option. */
    public record Values(String owner, Map<String, String> values) {

        public String text(String key) {
            String v = values.get(key);
            if (v == null) throw new IllegalStateException(owner + " has no option " + key);
            return v;
        }

        public int integer(String key) {
            String v = text(key);
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(owner + ": option " + key + "=" + v + " is not an integer");
            }
        }

        /** An integer in [min, max]. */
        public int integer(String key, int min, int max) {
            int v = integer(key);
            if (v < min || v > max) throw new IllegalArgumentException(owner + ": option " + key + "=" + v + " must be in [" + min + ", " + max + "]");
            return v;
        }

        public float number(String key) {
            String v = text(key);
            try {
                float f = Float.parseFloat(v);
                if (!Float.isFinite(f)) throw new NumberFormatException();
                return f;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(owner + ": option " + key + "=" + v + " is not a finite number");
            }
        }

        public boolean flag(String key) {
            String v = text(key);
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes", "on" -> true;
                case "false", "0", "no", "off" -> false;
                default -> throw new IllegalArgumentException(owner + ": option " + key + "=" + v + " is not on/off");
            };
        }

        /** The constant of {@code type} whose lower-case name is the value. */
        public <E extends Enum<E>> E choice(String key, Class<E> type) {
            String v = text(key);
            for (E e : type.getEnumConstants()) if (e.name().toLowerCase(Locale.ROOT).equals(v.toLowerCase(Locale.ROOT))) return e;
            String known = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
            throw new IllegalArgumentException(owner + ": option " + key + "=" + v + " is not one of " + known);
        }
    }
}
