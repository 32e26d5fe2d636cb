package dev.canopy.spark;

import dev.canopy.spark.model.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One partition through a model, in batches: each row keeps its columns (less the temporary raw-bytes one, which is
 * last) and gains the result columns and the error column. What is serialised with the task is this small object and
 * the model's spec; the model itself comes from the executor's {@code SharedModels}.
 */
abstract class TextRows implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final int bytesIndex;
    private final int batchSize;

    TextRows(int bytesIndex, int batchSize) {
        this.bytesIndex = bytesIndex;
        this.batchSize = batchSize;
    }

    /** One outcome per text, in order (null bytes: a null text). */
    abstract List<Outcome<float[]>> run(List<byte[]> texts) throws IOException;

    /** The result column values for an outcome (nulls for a failed row); the error column is added after them. */
    abstract Object[] results(Outcome<float[]> outcome);

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        long[] done = {0};
        return new RowBatches<>(rows, batchSize, batch -> {
            FaultInjection.afterRows(done[0]);
            List<byte[]> texts = new ArrayList<>(batch.size());
            for (Row r : batch) texts.add(r.isNullAt(bytesIndex) ? null : (byte[]) r.get(bytesIndex));
            List<Outcome<float[]>> outcomes;
            try {
                outcomes = run(texts);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) out.add(outputRow(batch.get(i), outcomes.get(i)));
            done[0] += batch.size();
            return out;
        });
    }

    private Row outputRow(Row in, Outcome<float[]> outcome) {
        Object[] results = results(outcome);
        Object[] values = new Object[bytesIndex + results.length + 1];
        for (int c = 0; c < bytesIndex; c++) values[c] = in.get(c);
        System.arraycopy(results, 0, values, bytesIndex, results.length);
        values[values.length - 1] = outcome.error();
        return RowFactory.create(values);
    }
}
