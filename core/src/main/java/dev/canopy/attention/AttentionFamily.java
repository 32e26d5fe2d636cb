package dev.canopy.attention;

import dev.canopy.config.OptionSchema;

/**
 * One kind of attention as the registry knows it: its name, a line saying what it is, whether it takes the causal
 * mask (a causal model can use it), its options (defaults and help) and how a spec's values become an attention. Reading the values ({@link Parser}) checks them all, so a bad
 * spec fails where it is parsed; building ({@link Builder}) only needs the shape the attention will serve.
 */
public record AttentionFamily(String summary, boolean causal, OptionSchema options, Parser parser) {

    @FunctionalInterface
    public interface Parser {
        /** Checks the values and returns what builds the attention; throws IllegalArgumentException naming a bad value. */
        Builder parse(OptionSchema.Values values);
    }

    @FunctionalInterface
    public interface Builder {
        Attention build(AttentionSetup setup);
    }

    public String name() {
        return options.name();
    }
}
