package dev.canopy.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Maps an iterator in batches, lazily: takes up to batchSize items, maps them together, hands the results out one by
 * one, then takes the next batch. A partition is never held in memory whole.
 */
final class RowBatches<A, B> implements Iterator<B> {
    private final Iterator<A> in;
    private final int batchSize;
    private final Function<List<A>, List<B>> map;
    private Iterator<B> current = java.util.Collections.emptyIterator();

    RowBatches(Iterator<A> in, int batchSize, Function<List<A>, List<B>> map) {
        this.in = in;
        this.batchSize = batchSize;
        this.map = map;
    }

    @Override
    public boolean hasNext() {
        while (!current.hasNext() && in.hasNext()) {
            List<A> batch = new ArrayList<>(batchSize);
            while (batch.size() < batchSize && in.hasNext()) batch.add(in.next());
            List<B> out = map.apply(batch);
            if (out.size() != batch.size()) throw new IllegalStateException("a batch of " + batch.size() + " rows gave " + out.size() + " results");
            current = out.iterator();
        }
        return current.hasNext();
    }

    @Override
    public B next() {
        if (!hasNext()) throw new NoSuchElementException();
        return current.next();
    }
}
