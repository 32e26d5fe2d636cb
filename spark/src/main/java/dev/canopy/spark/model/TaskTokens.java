package dev.canopy.spark.model;

import dev.canopy.data.ListOpsVocab;
import dev.canopy.data.Vocab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * How a trained task turns one text into token ids, so a classifier can read raw text: the byte-level tasks read
 * the text's UTF-8 bytes, ListOps its expression syntax. Two-document tasks (brown-match) take pairs, which one text
 * column cannot give.
 */
@FunctionalInterface
interface TaskTokens {
    /** Token ids (without [CLS], which the batch adds), at most maxLength; throws IllegalArgumentException for text the task cannot read. */
    int[] tokens(String text, int maxLength);

    static TaskTokens forTask(String task, Path taskFile) {
        return switch (task) {
            // spam was trained on message bodies: give the body, not the headers.
            case "spam" -> (text, max) -> Vocab.bytes(text.getBytes(StandardCharsets.UTF_8), max);
            case "listops" -> (text, max) -> {
                int[] t = ListOpsVocab.fromText(text);
                return t.length <= max ? t : java.util.Arrays.copyOf(t, max);
            };
            case "brown-match" -> throw new IllegalArgumentException(taskFile + ": task brown-match compares two documents; "
                    + "the Spark classifier reads one text column (supported: spam, listops)");
            default -> throw new IllegalArgumentException(taskFile + ": task '" + task + "' has no text tokenisation here (supported: spam, listops)");
        };
    }
}
