package dev.canopy.attention.registry;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionFamily;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.ExactAttention;
import dev.canopy.attention.LinformerAttention;
import dev.canopy.attention.LocalAttention;
import dev.canopy.attention.TopKAttention;
import dev.canopy.attention.tree.TcAttention;
import dev.canopy.attention.tree.TfAttention;
import dev.canopy.config.NamedOptions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every attention family Canopy has, by name. A new attention is one class with a {@code FAMILY} constant and one
 * line here; parsing, the command line's help and the contract tests all read this list.
 */
public final class Attentions {
    private Attentions() {}

    /** Every family, in the order help texts list them. */
    public static final List<AttentionFamily> FAMILIES = List.of(
            ExactAttention.FAMILY,
            TopKAttention.FAMILY,
            TfAttention.FAMILY,
            TcAttention.FAMILY,
            LinformerAttention.FAMILY,
            LocalAttention.FAMILY);

    /**
     * A family by name.
     *
     * @param name e.g. {@code topk}
     * @return the family
     * @throws IllegalArgumentException if there is none by that name; the message lists the known ones
     */
    public static AttentionFamily family(String name) {
        for (AttentionFamily f : FAMILIES) if (f.name().equals(name)) return f;
        String hint = name.equals("treeformer") ? " (the Treeformer two-level schedule is a training option: --schedule " + "treeformer:h=...)" : "";
        throw new IllegalArgumentException("unknown attention '" + name + "'" + hint + "; known: " + known());
    }

    /**
     * Parses and checks a spec such as {@code topk:k=64}; errors name the spec and the option.
     *
     * @param text a spec: a family name, then optionally a colon and comma-separated key=value options
     * @return the checked spec
     * @throws IllegalArgumentException naming the family or option at fault
     */
    public static AttentionSpec parse(String text) {
        NamedOptions named = NamedOptions.parse("attention", text);
        return new AttentionSpec(family(named.name()), named);
    }

    /**
     * Parses a comma-separated list: {@code exact,topk:k=64,chunk=512,tf:h=8} gives three specs.
     *
     * @param text specs separated by commas
     * @return the checked specs, in order
     * @throws IllegalArgumentException naming the spec at fault
     */
    public static List<AttentionSpec> parseList(String text) {
        return NamedOptions.splitList("attention", text).stream().map(Attentions::parse).toList();
    }

    /**
     * Parses a spec and builds its attention: {@code Attentions.create("topk:k=64", setup)}.
     *
     * @param spec  an attention spec
     * @param setup heads, head width, longest sequence and seed
     * @return a new attention
     * @throws IllegalArgumentException if the spec does not parse
     */
    public static Attention create(String spec, AttentionSetup setup) {
        return parse(spec).create(setup);
    }

    /**
     * Every family's usage, e.g. {@code exact[:qblock=64][,kblock=128], topk:k=K[,chunk=1024][,dropout=0], ...}.
     *
     * @return one usage line per family, comma-separated
     */
    public static String known() {
        return FAMILIES.stream().map(f -> f.options().usage()).collect(Collectors.joining(", "));
    }

    /**
     * A help block: each family's usage, what it is, and its options.
     *
     * @return the text, one block per family
     */
    public static String help() {
        return FAMILIES.stream().map(f -> f.options().usage() + "\n  " + f.summary() + "\n" + f.options().help())
                .collect(Collectors.joining("\n"));
    }
}
