package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionSetup;
import dev.canopy.config.OptionSchema;
import java.util.ArrayList;
import java.util.List;

/** The tree options tf and tc share: height and how the trees start. */
record TreeOptions(int height, boolean randomInit) {

    static OptionSchema schema(String name, OptionSchema.Option... own) {
        List<OptionSchema.Option> options = new ArrayList<>();
        options.add(OptionSchema.required("h", "tree height: 2^h leaves"));
        options.addAll(List.of(own));
        options.add(OptionSchema.optional("init", "data", "data (balanced fit on the first forward's keys) or random"));
        return new OptionSchema(name, options);
    }

    static TreeOptions read(OptionSchema.Values values) {
        int h = values.integer("h", 0, 16);
        boolean random = switch (values.text("init")) {
            case "data" -> false;
            case "random" -> true;
            default -> throw new IllegalArgumentException(values.owner() + ": option init=" + values.text("init") + " is not one of data, random");
        };
        return new TreeOptions(h, random);
    }

    /** The beam rules tf and tc share: at least one leaf, at most all of them, and more than one only when routed by mass. */
    static void checkBeam(String owner, int height, boolean byMass, int beam) {
        if (beam < 1) throw new IllegalArgumentException(owner + ": option beam=" + beam + " must be at least 1");
        if (beam > 1 << height) throw new IllegalArgumentException(owner + ": option beam=" + beam + " must be at most the " + (1 << height) + " leaves of h=" + height);
        if (beam > 1 && !byMass) throw new IllegalArgumentException(owner + ": option beam=" + beam + " routes by mass; route=tree cannot go with it");
    }

    TreeBank bank(AttentionSetup setup) {
        return new TreeBank(setup.heads(), height, setup.headDim(), randomInit, setup.seed());
    }
}
