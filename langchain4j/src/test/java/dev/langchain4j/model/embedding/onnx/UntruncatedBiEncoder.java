package dev.langchain4j.model.embedding.onnx;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test access to langchain4j's {@link OnnxBertBiEncoder} (package-private methods, hence this package) with the one
 * change its long-text code needs to run at all: a tokenizer that does not truncate.
 *
 * <p>In 1.20.0-beta30 the encoder builds its DJL tokenizer with only {@code padding=false}; DJL 0.36.0 then truncates
 * at the tokenizer.json's {@code max_length}, or at 512 when there is none, so {@code partition} never sees more than
 * 510 pieces and texts are cut, not partitioned. Swapping in a tokenizer built with {@code truncation=false} lets
 * the encoder's own embed run as written: tokenize, partition, re-encode each part, ONNX Runtime, mean pooling,
 * weighted average, normalisation.
 */
public final class UntruncatedBiEncoder {
    private final OnnxBertBiEncoder encoder;

    public UntruncatedBiEncoder(Path onnx, Path tokenizerJson) throws IOException, ReflectiveOperationException {
        encoder = new OnnxBertBiEncoder(onnx, tokenizerJson, PoolingMode.MEAN);
        Field f = OnnxBertBiEncoder.class.getDeclaredField("tokenizer");
        f.setAccessible(true);
        ((HuggingFaceTokenizer) f.get(encoder)).close();
        f.set(encoder, HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("padding", "false", "truncation", "false")));
    }

    /** langchain4j's embedding of the whole text. */
    public float[] embed(String text) {
        return encoder.embed(text).embedding;
    }

    /** Word pieces of the text, [CLS] and [SEP] included, as langchain4j counts them. */
    public int countTokens(String text) {
        return encoder.countTokens(text);
    }

    /** langchain4j's partitioning of a token list ([CLS] first, [SEP] last) into parts of at most size pieces. */
    public static List<List<String>> partition(List<String> tokens, int size) {
        return OnnxBertBiEncoder.partition(tokens, size);
    }
}
