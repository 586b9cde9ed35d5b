package org.xo.bench.manet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Connectivity of a {@link Trace}: at time t two distinct nodes are linked when their (interpolated) distance is at
 * most the radio range (unit-disk graph, symmetric links). Hop distances by BFS.
 */
public final class Topology {
    private final Trace trace;
    private final double range;

    public Topology(Trace trace) {
        this(trace, trace.scenario().radioRange());
    }

    public Topology(Trace trace, double range) {
        this.trace = trace;
        this.range = range;
    }

    public double range() {
        return range;
    }

    /** The graph at time t. */
    public Snapshot at(double t) {
        Point[] p = trace.positions(t);
        int n = p.length;
        boolean[][] adj = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (p[i].distance(p[j]) <= range) {
                    adj[i][j] = true;
                    adj[j][i] = true;
                }
            }
        }
        return new Snapshot(adj);
    }

    public boolean isLinked(int a, int b, double t) {
        return at(t).isLinked(a, b);
    }

    public List<List<Integer>> components(double t) {
        return at(t).components();
    }

    /** Hops from a to b at time t, 0 if a == b, -1 if unreachable. */
    public int hops(int a, int b, double t) {
        return at(t).hops(a, b);
    }

    public boolean isReachable(int a, int b, double t) {
        return at(t).hops(a, b) >= 0;
    }

    /** The unit-disk graph at one instant. */
    public static final class Snapshot {
        private final boolean[][] adj;
        private final int[][] hops;

        Snapshot(boolean[][] adj) {
            this.adj = adj;
            int n = adj.length;
            this.hops = new int[n][];
            for (int s = 0; s < n; s++) {
                hops[s] = bfs(s);
            }
        }

        /** Snapshot from an explicit adjacency matrix (symmetric, no self loops); for tests. */
        public static Snapshot of(boolean[][] adj) {
            boolean[][] copy = new boolean[adj.length][];
            for (int i = 0; i < adj.length; i++) {
                copy[i] = adj[i].clone();
            }
            return new Snapshot(copy);
        }

        private int[] bfs(int s) {
            int n = adj.length;
            int[] d = new int[n];
            Arrays.fill(d, -1);
            int[] queue = new int[n];
            int head = 0;
            int tail = 0;
            d[s] = 0;
            queue[tail++] = s;
            while (head < tail) {
                int u = queue[head++];
                for (int v = 0; v < n; v++) {
                    if (adj[u][v] && d[v] < 0) {
                        d[v] = d[u] + 1;
                        queue[tail++] = v;
                    }
                }
            }
            return d;
        }

        public int nodes() {
            return adj.length;
        }

        public boolean isLinked(int a, int b) {
            return adj[a][b];
        }

        public int degree(int a) {
            int d = 0;
            for (boolean l : adj[a]) {
                if (l) {
                    d++;
                }
            }
            return d;
        }

        public double meanDegree() {
            double sum = 0;
            for (int i = 0; i < adj.length; i++) {
                sum += degree(i);
            }
            return adj.length == 0 ? 0 : sum / adj.length;
        }

        /** Hops from a to b, 0 if a == b, -1 if unreachable. */
        public int hops(int a, int b) {
            return hops[a][b];
        }

        public boolean isReachable(int a, int b) {
            return hops[a][b] >= 0;
        }

        /** Connected components, each sorted, ordered by smallest member. */
        public List<List<Integer>> components() {
            List<List<Integer>> out = new ArrayList<>();
            boolean[] seen = new boolean[adj.length];
            for (int s = 0; s < adj.length; s++) {
                if (seen[s]) {
                    continue;
                }
                List<Integer> c = new ArrayList<>();
                for (int v = 0; v < adj.length; v++) {
                    if (hops[s][v] >= 0) {
                        seen[v] = true;
                        c.add(v);
                    }
                }
                out.add(List.copyOf(c));
            }
            return out;
        }

        public boolean isPartitioned() {
            for (int v = 0; v < adj.length; v++) {
                if (hops[0][v] < 0) {
                    return true;
                }
            }
            return false;
        }

        /** Largest hop distance between two mutually reachable nodes (the largest component diameter). */
        public int diameter() {
            int max = 0;
            for (int[] row : hops) {
                for (int h : row) {
                    max = Math.max(max, h);
                }
            }
            return max;
        }

        /** Fraction of ordered pairs of distinct nodes that are mutually reachable. */
        public double reachablePairs() {
            int n = adj.length;
            if (n < 2) {
                return 1;
            }
            int ok = 0;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    if (a != b && hops[a][b] >= 0) {
                        ok++;
                    }
                }
            }
            return ok / (double) (n * (n - 1));
        }
    }
}
