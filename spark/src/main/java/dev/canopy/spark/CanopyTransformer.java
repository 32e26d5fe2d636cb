package dev.canopy.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What Canopy's transformers share: a text column in (string or binary UTF-8), result columns plus an error column
 * out, the model and its attention, batch size and token budget as Spark ML params (so they save and load with
 * {@code Pipeline}s). Rows are mapped a partition at a time; the input's raw bytes travel in a temporary column so
 * that undecodable text is reported rather than silently replaced.
 */
public abstract class CanopyTransformer extends Transformer implements DefaultParamsWritable {
    /** The temporary raw-bytes column; never in the output. */
    static final String BYTES_COLUMN = "__canopy_text_bytes";

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> errorCol;
    private final Param<String> model;
    private final Param<String> attention;
    private final IntParam batchSize;
    private final IntParam maxLength;

    protected CanopyTransformer(String uid, String defaultOutput, String modelDoc, String attentionDoc, int defaultMaxLength, String maxLengthDoc) {
        this.uid = uid;
        // Params need the uid, so they are made here rather than in field initialisers.
        inputCol = new Param<>(this, "inputCol", "text column: string, or binary holding UTF-8");
        outputCol = new Param<>(this, "outputCol", "result column");
        errorCol = new Param<>(this, "errorCol", "column with the reason a row has no result (null when it has one)");
        model = new Param<>(this, "model", modelDoc);
        attention = new Param<>(this, "attention", attentionDoc);
        batchSize = new IntParam(this, "batchSize", "rows per batch handed to the model", ParamValidators.gtEq(1));
        maxLength = new IntParam(this, "maxLength", maxLengthDoc, ParamValidators.gtEq(0));
        setDefault(inputCol, "text");
        setDefault(outputCol, defaultOutput);
        setDefault(errorCol, "error");
        setDefault(batchSize, 32);
        setDefault(maxLength, defaultMaxLength);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> errorCol() { return errorCol; }
    public Param<String> model() { return model; }
    public Param<String> attention() { return attention; }
    public IntParam batchSize() { return batchSize; }
    public IntParam maxLength() { return maxLength; }

    public String getInputCol() { return $(inputCol); }
    public String getOutputCol() { return $(outputCol); }
    public String getErrorCol() { return $(errorCol); }
    public String getModel() { return $(model); }
    public String getAttention() { return $(attention); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public int getMaxLength() { return (Integer) $(maxLength); }

    /** Sets the text column (the subclasses narrow the return type). */
    public CanopyTransformer setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    /** The result columns this transformer appends before the error column. */
    protected abstract List<StructField> resultFields();

    /** Opens the model on the driver, so a model that cannot be read fails the job before any task runs. */
    protected abstract void checkModel();

    /** The per-partition function; bytesIndex is the raw-text column's position in the rows it receives. */
    protected abstract MapPartitionsFunction<Row, Row> partitionFunction(int bytesIndex);

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getInputCol();
        if (!Arrays.asList(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("input column '" + in + "' is not in the data (columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        DataType type = schema.apply(in).dataType();
        if (!type.equals(DataTypes.StringType) && !type.equals(DataTypes.BinaryType)) {
            throw new IllegalArgumentException("input column '" + in + "' is " + type.simpleString() + "; it must be string or binary (UTF-8)");
        }
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        List<StructField> added = new ArrayList<>(resultFields());
        added.add(DataTypes.createStructField(getErrorCol(), DataTypes.StringType, true));
        for (StructField f : added) {
            if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("output column '" + f.name() + "' is already in the data; choose another name");
            }
            fields.add(f);
        }
        return DataTypes.createStructType(fields);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        checkModel();
        Dataset<Row> rows = dataset.toDF().withColumn(BYTES_COLUMN, functions.col(getInputCol()).cast(DataTypes.BinaryType));
        return rows.mapPartitions(partitionFunction(rows.schema().fieldIndex(BYTES_COLUMN)), Encoders.row(out));
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
