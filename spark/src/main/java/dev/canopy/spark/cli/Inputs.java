package dev.canopy.spark.cli;

import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Reads the corpus as a table with a text column: lines get a {@code row} number (their order in the input) so every
 * output row can be traced back; whole files keep their {@code path} and raw bytes; JSON lines and Parquet keep all
 * their columns.
 */
final class Inputs {
    private Inputs() {}

    /** The table and the name of its text column. */
    record Table(Dataset<Row> rows, String textColumn) {}

    static Table read(SparkSession spark, String input, InputFormat format, String textColumn) {
        InputFormat f = format != null ? format : InputFormat.guess(input);
        return switch (f) {
            case LINES -> new Table(numbered(spark.read().text(input)).withColumnRenamed("value", "text"), "text");
            case FILES -> new Table(spark.read().format("binaryFile").load(input).select("path", "content").withColumnRenamed("content", "text"), "text");
            case JSONL -> checked(new Table(spark.read().json(input), textColumn), input);
            case PARQUET -> checked(new Table(spark.read().parquet(input), textColumn), input);
        };
    }

    /** Adds row = position in the input (Spark reads files in a fixed order, so a retried task numbers its rows alike). */
    private static Dataset<Row> numbered(Dataset<Row> lines) {
        var schema = lines.schema().add("row", org.apache.spark.sql.types.DataTypes.LongType, false);
        var rdd = lines.javaRDD().zipWithIndex().map(p -> {
            Object[] v = new Object[p._1().size() + 1];
            for (int i = 0; i < p._1().size(); i++) v[i] = p._1().get(i);
            v[v.length - 1] = p._2();
            return org.apache.spark.sql.RowFactory.create(v);
        });
        Dataset<Row> withRow = lines.sparkSession().createDataFrame(rdd, schema);
        return withRow.select(functions.col("row"), functions.col("value"));
    }

    private static Table checked(Table t, String input) {
        if (!Arrays.asList(t.rows().columns()).contains(t.textColumn())) {
            throw new IllegalArgumentException(input + " has no column '" + t.textColumn() + "' (columns: " + String.join(", ", t.rows().columns())
                    + "); name the text column with --text-column");
        }
        return t;
    }
}
