package dev.canopy.model;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.tree.TreeformerSchedule;

/**
 * Which attentions a causal model can use, checked when the model is configured rather than at its first forward:
 * exact, top-k and TF take the causal mask; Linformer (E mixes every position) and TC (node statistics over all keys)
 * refuse it, and so does a Treeformer schedule with a TC phase. A causal model cannot pool on [CLS] either: at position
 * 0 it would see nothing but itself.
 */
final class CausalAttention {
    private CausalAttention() {}

    static void check(String attention, ModelConfig.Pooling pooling) {
        if (pooling == ModelConfig.Pooling.CLS) throw new IllegalArgumentException("a causal model cannot pool on [CLS] (position 0 sees only itself); use pooling mean or tokens");
        String name = AttentionSpec.parse(attention).name();
        switch (name) {
            case "exact", "topk", "tf" -> { }
            case "linformer" -> throw new IllegalArgumentException("attention linformer cannot be causal (its projection mixes every position); use exact, topk or tf");
            case "tc" -> throw new IllegalArgumentException("attention tc cannot be causal (its node statistics cover every key); use exact, topk or tf");
            case "treeformer" -> {
                if (TreeformerSchedule.parse(attention, line -> { }).options().tcSteps() > 0) {
                    throw new IllegalArgumentException("attention " + attention + " cannot be causal: its TC phase cannot be (use tc=0 for dense then TF)");
                }
            }
            default -> { } // unknown names fail where the attention is built, with the list of known ones
        }
    }
}
