package dev.canopy.attention;

import dev.canopy.config.OptionSchema;

/**
 * One kind of attention as the registry knows it: its name, a line saying what it is, whether it takes the causal
 * mask (a causal model can use it), its options (defaults and help) and how a spec's values become an attention. Reading the values ({@link Parser}) checks them all, so a bad
 * spec fails where it is parsed; building ({@link Builder}) only needs the shape the attention will serve.
 *
 * @param summary one line saying what the attention is, for help texts
 * @param causal  whether it honours the causal mask, so a causal model can use it
 * @param options the options a spec may set, with their defaults and help
 * @param parser  turns checked option values into what builds the attention
 */
public record AttentionFamily(String summary, boolean causal, OptionSchema options, Parser parser) {

    /** Reads a spec's option values, once, where the spec is parsed. */
    @FunctionalInterface
    public interface Parser {
        /**
         * Checks the values and returns what builds the attention; throws IllegalArgumentException naming a bad value.
         *
         * @param values the spec's options, defaults filled in
         * @return what builds attentions of this spec
         */
        Builder parse(OptionSchema.Values values);
    }

    /** Builds attentions of one checked spec; called once per layer or model. */
    @FunctionalInterface
    public interface Builder {
        /**
         * Builds one attention.
         *
         * @param setup heads, head width, longest sequence and seed of the layer
         * @return a new attention, with fresh parameters if the family has any
         */
        Attention build(AttentionSetup setup);
    }

    /** {@return the family's name, the part of a spec before the colon (exact, topk, ...)} */
    public String name() {
        return options.name();
    }
}
