package dev.canopy.spark;

import dev.canopy.spark.model.ClassifierSpec;
import dev.canopy.spark.model.TextClassifierModel;
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
 * Spark ML transformer: a text column to a predicted class (int) and the class probabilities (array&lt;float&gt;),
 * with a classifier trained by {@code canopy train}. Texts are tokenised as the run's task was: spam models read
 * UTF-8 bytes (give them message bodies), ListOps models read expressions such as {@code [MAX 2 9 ]};
 * two-document tasks (brown-match) are refused at start.
 */
public final class CanopyClassifier extends CanopyTransformer {
    private static final long serialVersionUID = 1L;

    private final Param<String> probabilityCol;

    public CanopyClassifier() {
        this(Identifiable$.MODULE$.randomUID("canopyClassifier"));
    }

    public CanopyClassifier(String uid) {
        super(uid, "prediction", "a run directory written by 'canopy train' (its newest checkpoint) or one ckpt-NNNNNNNN directory, readable on every executor",
                "attention to run instead of the trained one (empty: as trained)", 0, "tokens per text (0: the model's maxLength)");
        probabilityCol = new Param<>(this, "probabilityCol", "column of class probabilities");
        setDefault(attention(), "");
        setDefault(probabilityCol, "probability");
    }

    public Param<String> probabilityCol() { return probabilityCol; }
    public String getProbabilityCol() { return $(probabilityCol); }

    @Override public CanopyClassifier setInputCol(String v) { super.setInputCol(v); return this; }
    public CanopyClassifier setOutputCol(String v) { set(outputCol(), v); return this; }
    public CanopyClassifier setProbabilityCol(String v) { set(probabilityCol, v); return this; }
    public CanopyClassifier setErrorCol(String v) { set(errorCol(), v); return this; }
    public CanopyClassifier setModel(String v) { set(model(), v); return this; }
    public CanopyClassifier setAttention(String v) { set(attention(), v); return this; }
    public CanopyClassifier setBatchSize(int v) { set(batchSize(), v); return this; }
    public CanopyClassifier setMaxLength(int v) { set(maxLength(), v); return this; }

    public ClassifierSpec spec() {
        if (!isDefined(model())) throw new IllegalArgumentException("CanopyClassifier needs a model: setModel(run directory)");
        return new ClassifierSpec(getModel(), getAttention(), getMaxLength());
    }

    @Override
    protected List<StructField> resultFields() {
        return List.of(DataTypes.createStructField(getOutputCol(), DataTypes.IntegerType, true),
                DataTypes.createStructField(getProbabilityCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
    }

    @Override
    protected void checkModel() {
        try {
            TextClassifierModel.shared(spec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected MapPartitionsFunction<Row, Row> partitionFunction(int bytesIndex) {
        return new ClassifyRows(spec(), bytesIndex, getBatchSize());
    }

    public static MLReader<CanopyClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static CanopyClassifier load(String path) {
        return read().load(path);
    }
}
