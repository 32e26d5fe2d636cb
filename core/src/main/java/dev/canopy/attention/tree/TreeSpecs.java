package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionSpec;

/** Options shared by the tf and tc specs. */
final class TreeSpecs {
    private TreeSpecs() {}

    static int height(AttentionSpec spec) {
        if (!spec.options().containsKey("h")) throw new IllegalArgumentException(spec.name() + " attention needs a tree height, e.g. " + spec.name() + ":h=8");
        int h = spec.intOption("h", 0);
        if (h < 0 || h > 16) throw new IllegalArgumentException(spec.name() + ": option h=" + h + " must be in [0, 16]");
        return h;
    }

    /** init=data (default: balanced fit on the first forward's keys) or init=random. */
    static boolean randomInit(AttentionSpec spec) {
        return switch (spec.stringOption("init", "data")) {
            case "data" -> false;
            case "random" -> true;
            default -> throw new IllegalArgumentException(spec.name() + ": option init=" + spec.stringOption("init", "") + " is not one of data, random");
        };
    }
}
