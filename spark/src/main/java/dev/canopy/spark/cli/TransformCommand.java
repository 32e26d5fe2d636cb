package dev.canopy.spark.cli;

import dev.canopy.spark.CanopyTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine.Mixin;

/**
 * A corpus through one of Canopy's transformers: read, split into tasks, transform, write Parquet, then one summary
 * line on stderr. The model is opened before Spark starts, so a model that cannot be read fails at once.
 */
abstract class TransformCommand implements Callable<Integer> {
    @Mixin
    JobOptions job;

    /** The configured transformer (input column set by the caller); its model checked. */
    abstract CanopyTransformer transformer();

    /** Opens the model in this JVM (the driver), so that a bad one fails before Spark starts. */
    abstract void checkModel(CanopyTransformer t);

    abstract String verb();

    @Override
    public Integer call() {
        job.check();
        CanopyTransformer transformer = transformer();
        checkOutput();
        long t0 = System.nanoTime();
        SparkConf conf = Sessions.conf("canopy spark " + verb(), job.master, job.conf);
        checkModel(transformer);
        SparkSession spark = Sessions.start(conf);
        try {
            Inputs.Table table = Inputs.read(spark, job.input, InputFormat.parse(job.format), job.textColumn);
            Dataset<Row> rows = table.rows();
            int want = job.partitions > 0 ? job.partitions : 4 * spark.sparkContext().defaultParallelism();
            // A small file is one partition, which would keep all but one core idle.
            if (rows.rdd().getNumPartitions() < want) rows = rows.repartition(want);
            transformer.setInputCol(table.textColumn());
            transformer.transform(rows).write().mode(job.overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(job.output);
            Dataset<Row> written = spark.read().parquet(job.output);
            long total = written.count();
            long failed = written.filter(functions.col(transformer.getErrorCol()).isNotNull()).count();
            System.err.printf("canopy spark %s: %,d rows -> %s (%,d with an error, reason in column '%s') in %.1f s on %s%n", verb(), total, job.output, failed,
                    transformer.getErrorCol(), (System.nanoTime() - t0) / 1e9, spark.sparkContext().master());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** An existing local output is an error before any work, unless --overwrite. */
    private void checkOutput() {
        if (job.output.contains("://") || job.overwrite) return;
        if (Files.exists(Path.of(job.output))) throw new IllegalArgumentException("--output " + job.output + " already exists; pass --overwrite to replace it");
    }
}
