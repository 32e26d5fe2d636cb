package dev.canopy.spark;

import dev.canopy.spark.model.EmbeddingSpec;
import dev.canopy.spark.model.TextEmbeddingModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Spark ML transformer: a text column to a sentence-embedding column (array&lt;float&gt;), with the model Canopy's
 * {@code embed} command runs (all-MiniLM-L6-v2 by default, or a BERT directory) and any attention. Rows whose text is
 * null, empty or not UTF-8 get a null embedding and the reason in the error column.
 *
 * <pre>{@code
 * Dataset<Row> out = new CanopyEmbedder().setInputCol("text").setAttention("topk:k=32").transform(df);
 * }</pre>
 */
public final class CanopyEmbedder extends CanopyTransformer {
    private static final long serialVersionUID = 1L;

    private final Param<String> ffn;

    public CanopyEmbedder() {
        this(Identifiable$.MODULE$.randomUID("canopyEmbedder"));
    }

    public CanopyEmbedder(String uid) {
        super(uid, "embedding", "'minilm' (all-MiniLM-L6-v2 from the Canopy cache) or a directory with model.safetensors, config.json, tokenizer.json, readable on every executor",
                "attention spec, e.g. exact or topk:k=32", 512, "tokens per text including [CLS]/[SEP]; longer texts are cut");
        ffn = new Param<>(this, "ffn", "feed-forward: dense or topk-ffn:k=K");
        setDefault(model(), "minilm");
        setDefault(attention(), "exact");
        setDefault(ffn, "dense");
    }

    public Param<String> ffn() { return ffn; }
    public String getFfn() { return $(ffn); }

    @Override public CanopyEmbedder setInputCol(String v) { super.setInputCol(v); return this; }
    public CanopyEmbedder setOutputCol(String v) { set(outputCol(), v); return this; }
    public CanopyEmbedder setErrorCol(String v) { set(errorCol(), v); return this; }
    public CanopyEmbedder setModel(String v) { set(model(), v); return this; }
    public CanopyEmbedder setAttention(String v) { set(attention(), v); return this; }
    public CanopyEmbedder setFfn(String v) { set(ffn, v); return this; }
    public CanopyEmbedder setBatchSize(int v) { set(batchSize(), v); return this; }
    public CanopyEmbedder setMaxLength(int v) { set(maxLength(), v); return this; }

    /** What the executors need to open the model; checked here, on the driver. */
    public EmbeddingSpec spec() {
        return new EmbeddingSpec(getModel(), getAttention(), getFfn(), getMaxLength());
    }

    @Override
    protected List<StructField> resultFields() {
        return List.of(DataTypes.createStructField(getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
    }

    @Override
    protected void checkModel() {
        try {
            TextEmbeddingModel.shared(spec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected MapPartitionsFunction<Row, Row> partitionFunction(int bytesIndex) {
        return new EmbedRows(spec(), bytesIndex, getBatchSize());
    }

    public static MLReader<CanopyEmbedder> read() {
        return new DefaultParamsReader<>();
    }

    public static CanopyEmbedder load(String path) {
        return read().load(path);
    }
}
