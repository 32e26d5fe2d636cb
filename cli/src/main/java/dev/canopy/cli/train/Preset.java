package dev.canopy.cli.train;

import java.util.Locale;

/**
 * The sizes every task comes in: tiny (tests), demo (minutes on 2 cores), small, and lra (the Long Range Arena
 * configuration). Each task's data, model and training defaults switch on it in {@link Tasks}.
 */
public enum Preset {
    TINY, DEMO, SMALL, LRA;

    /** The names, for help texts (a constant, as annotations need; PresetTest checks it against the values). */
    public static final String NAMES = "tiny, demo, small, lra";

    /** The name on the command line and in task.json. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Preset parse(String text) {
        for (Preset p : values()) if (p.label().equals(text)) return p;
        throw new IllegalArgumentException("unknown preset '" + text + "'; known: " + NAMES);
    }

    @Override
    public String toString() {
        return label();
    }
}
