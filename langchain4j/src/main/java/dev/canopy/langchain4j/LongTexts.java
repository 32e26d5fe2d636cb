package dev.canopy.langchain4j;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * What {@link CanopyEmbeddingModel} does with a text longer than the model's window.
 *
 * <ul>
 *   <li>{@link #partitions()} (the default) embeds all of it, as langchain4j's in-process BERT models
 *       ({@code OnnxBertBiEncoder}) do when their tokenizer does not truncate: the word pieces are cut into parts of
 *       at most 510, never right before a "##" continuation piece unless one word alone is longer than a part;
 *       each part is embedded with [CLS] and [SEP], and the mean-pooled parts are averaged weighted by their
 *       length in pieces, then normalised.</li>
 *   <li>{@link #truncate(int)} keeps the first pieces only. {@code truncate(128)} reproduces langchain4j's
 *       {@code AllMiniLmL6V2EmbeddingModel} 1.20.0-beta30 exactly: its tokenizer.json sets {@code max_length} 128,
 *       which its tokenizer applies, so it never sees more than 126 pieces of a text.</li>
 * </ul>
 */
public sealed interface LongTexts {

    /** Part size of langchain4j's in-process BERT models: 512 positions less [CLS] and [SEP]. */
    int BERT_PART = 510;

    /**
     * The default: the whole text counts.
     *
     * @return parts of at most {@value #BERT_PART} pieces, averaged
     */
    static LongTexts partitions() {
        return new Partitions(BERT_PART);
    }

    /**
     * Parts of another size.
     *
     * @param maxPieces the most word pieces per part, [CLS] and [SEP] not counted
     * @return parts of at most {@code maxPieces} pieces, averaged
     */
    static LongTexts partitions(int maxPieces) {
        return new Partitions(maxPieces);
    }

    /**
     * Only the beginning counts.
     *
     * @param maxTokens the most tokens embedded, [CLS] and [SEP] included (a tokenizer.json's {@code max_length})
     * @return the first {@code maxTokens - 2} pieces only
     */
    static LongTexts truncate(int maxTokens) {
        return new Truncate(maxTokens);
    }

    /** {@return the longest sequence this policy hands the model, [CLS] and [SEP] included} */
    int maxTokens();

    /**
     * Where a text is cut.
     *
     * @param pieces         the text's length in word pieces
     * @param isContinuation whether the piece at an index continues a word
     * @return the parts, as [from, to) ranges, in order
     */
    List<Part> parts(int pieces, IntPredicate isContinuation);

    /**
     * A range of word pieces embedded as one sequence.
     *
     * @param from first piece
     * @param to   one past the last piece
     */
    record Part(int from, int to) {
        /** {@return the number of pieces, which is also the part's weight in the average} */
        public int length() {
            return to - from;
        }
    }

    /**
     * Cut into parts of at most {@code maxPieces}, averaged.
     *
     * @param maxPieces the most word pieces per part, [CLS] and [SEP] not counted
     */
    record Partitions(int maxPieces) implements LongTexts {
        /** Checks that a part holds at least one piece. */
        public Partitions {
            if (maxPieces < 1) throw new IllegalArgumentException("a part needs at least one piece, got " + maxPieces);
        }

        @Override
        public int maxTokens() {
            return maxPieces + 2;
        }

        @Override
        public List<Part> parts(int pieces, IntPredicate isContinuation) {
            List<Part> parts = new ArrayList<>(pieces / maxPieces + 1);
            for (int from = 0; from < pieces; ) {
                int to = from + maxPieces;
                if (to >= pieces) {
                    to = pieces;
                } else {
                    // Move the cut back to a word start; a single word longer than a part is cut where it must be.
                    while (to > from && isContinuation.test(to)) to--;
                    if (to == from) to = from + maxPieces;
                }
                parts.add(new Part(from, to));
                from = to;
            }
            return parts;
        }
    }

    /**
     * Keep the first {@code maxTokens - 2} pieces.
     *
     * @param maxTokens the most tokens embedded, [CLS] and [SEP] included
     */
    record Truncate(int maxTokens) implements LongTexts {
        /** Checks that at least one piece is kept. */
        public Truncate {
            if (maxTokens < 3) throw new IllegalArgumentException("truncation must leave a piece besides [CLS] and [SEP], got " + maxTokens);
        }

        @Override
        public List<Part> parts(int pieces, IntPredicate isContinuation) {
            return pieces == 0 ? List.of() : List.of(new Part(0, Math.min(pieces, maxTokens - 2)));
        }
    }
}
