package dev.canopy.cli.options;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import java.util.List;

/** A comma-separated list of attention specs from the command line, parsed and checked when the option is read. */
public record AttentionList(List<AttentionSpec> specs) {
    public static AttentionList parse(String text) {
        return new AttentionList(Attentions.parseList(text));
    }
}
