package dev.canopy.attention;

/** Builds an attention from its spec string, e.g. {@code exact}, {@code topk:k=64}, {@code tc:h=8}. */
public final class Attentions {
    private Attentions() {}

    public static final String KNOWN = "exact, topk:k=K[,chunk=C][,dropout=P], tf:h=H[,empty=zero|self|rootmean], tc:h=H[,countbias=B][,groups=path|siblings], linformer:k=K";

    public static Attention create(String spec, AttentionSetup setup) {
        AttentionSpec parsed = AttentionSpec.parse(spec);
        return switch (parsed.name()) {
            case "exact" -> ExactAttention.fromSpec(parsed);
            case "topk" -> TopKAttention.fromSpec(parsed);
            case "linformer" -> LinformerAttention.fromSpec(parsed, setup);
            case "tf" -> dev.canopy.attention.tree.TfAttention.fromSpec(parsed, setup);
            case "tc" -> dev.canopy.attention.tree.TcAttention.fromSpec(parsed, setup);
            default -> throw new IllegalArgumentException("unknown attention '" + parsed.name() + "' in spec '" + spec + "'; known: " + KNOWN);
        };
    }
}
