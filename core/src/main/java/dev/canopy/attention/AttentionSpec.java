package dev.canopy.attention;

import dev.canopy.config.NamedOptions;
import java.util.Objects;

/**
 * A parsed and checked attention spec such as {@code topk:k=64}: its family, the options as written, and what builds
 * the attention. Parsed once where the text enters (command line, run file) and passed down as this value; the
 * registry (Attentions.parse) makes one from text.
 */
public final class AttentionSpec {
    private final AttentionFamily family;
    private final NamedOptions text;
    private final AttentionFamily.Builder builder;

    /**
     * Checks the options against the family's; Attentions.parse is the usual way to get one.
     *
     * @param family the family the spec names
     * @param text   the spec's name and options as written
     * @throws IllegalArgumentException if an option is unknown or its value out of range
     */
    public AttentionSpec(AttentionFamily family, NamedOptions text) {
        if (!family.name().equals(text.name())) throw new IllegalArgumentException("spec " + text + " is not of family " + family.name());
        this.family = family;
        this.text = text;
        this.builder = family.parser().parse(family.options().read(text));
    }

    /** {@return the family this spec belongs to} */
    public AttentionFamily family() { return family; }

    /** {@return the family's name, e.g. {@code topk}} */
    public String name() { return family.name(); }

    /**
     * A new attention for this shape (fresh parameters, if the family has any).
     *
     * @param setup heads, head width, longest sequence and seed
     * @return the attention
     */
    public Attention create(AttentionSetup setup) {
        return builder.build(setup);
    }

    /** The spec as written (name lower-cased, options in the order given): what run files and tables show. */
    @Override
    public String toString() {
        return text.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionSpec s && s.text.equals(text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text);
    }
}
