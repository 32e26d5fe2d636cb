package dev.canopy.attention.tree;

/** Which tree nodes a TC query attends to. */
public enum CentroidGroups {
    /** The h+1 nodes on the query's root-to-leaf path (the paper's TC). */
    PATH,
    /** The off-path sibling at each level plus the query's own leaf: a partition of all keys (our variant). */
    SIBLINGS
}
