package org.xo.bench.manet;

import java.util.Arrays;
import java.util.List;

/**
 * Node positions sampled every {@link Scenario#timeStep()} from t = 0 to the end time, as produced by
 * {@link Rpgm#generate(Scenario)}, plus the group center's waypoint legs. Immutable.
 */
public final class Trace {
    private final Scenario scenario;
    private final List<Leg> legs;
    private final Point[] centers;
    private final double[] xs;
    private final double[] ys;

    Trace(Scenario scenario, List<Leg> legs, Point[] centers, double[] xs, double[] ys) {
        this.scenario = scenario;
        this.legs = legs;
        this.centers = centers;
        this.xs = xs;
        this.ys = ys;
    }

    public Scenario scenario() {
        return scenario;
    }

    public int nodes() {
        return scenario.nodes();
    }

    public int samples() {
        return centers.length;
    }

    public double time(int sample) {
        return sample * scenario.timeStep();
    }

    /** The group center's random-waypoint legs, in time order. */
    public List<Leg> legs() {
        return legs;
    }

    /** The group center at a sample. */
    public Point center(int sample) {
        return centers[sample];
    }

    /** Position of a node at a sample. */
    public Point sample(int node, int sample) {
        checkNode(node);
        int i = sample * nodes() + node;
        return new Point(xs[i], ys[i]);
    }

    /**
     * Position of a node at time t: linear interpolation between the two surrounding samples; t is clamped to
     * [0, last sample time].
     */
    public Point position(int node, double t) {
        checkNode(node);
        double step = scenario.timeStep();
        int last = samples() - 1;
        if (!(t > 0)) {
            return sample(node, 0);
        }
        double f = t / step;
        int k = (int) Math.floor(f);
        if (k >= last) {
            return sample(node, last);
        }
        double w = f - k;
        Point a = sample(node, k);
        if (w == 0) {
            return a;
        }
        Point b = sample(node, k + 1);
        return new Point(a.x() + w * (b.x() - a.x()), a.y() + w * (b.y() - a.y()));
    }

    /** All node positions at time t. */
    public Point[] positions(double t) {
        Point[] p = new Point[nodes()];
        for (int i = 0; i < p.length; i++) {
            p[i] = position(i, t);
        }
        return p;
    }

    private void checkNode(int node) {
        if (node < 0 || node >= nodes()) {
            throw new IndexOutOfBoundsException("node " + node + " of " + nodes());
        }
    }

    /** Bit-for-bit equality of the sampled positions, centers and legs. */
    public boolean sameAs(Trace other) {
        return Arrays.equals(xs, other.xs) && Arrays.equals(ys, other.ys) && Arrays.equals(centers, other.centers)
                && legs.equals(other.legs);
    }
}
