package org.xo.openfire;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs Jazzer on {@link ReceivePathFuzzTarget} in a JVM of its own, with this JVM's class path.
 * <p>
 * Why Jazzer: it is on Maven Central, runs on Java 17, and is coverage-guided (libFuzzer's mutator, fed by the
 * coverage and comparison hooks its agent instruments), with its standalone driver in one JAR: it needs neither
 * JUnit 5 (jazzer-junit does, and this suite runs JUnit 4) nor a Maven plugin. A JVM of its own because libFuzzer
 * runs once per process and ends it, and so that its instrumentation stays out of the test JVM.
 * <p>
 * Corpus: {@code src/test/resources/fuzz/} (the seeds and past crashes, read only) after
 * {@code <work>/corpus-<target or all>/}, where libFuzzer keeps the inputs that found new coverage (emptied first).
 * A crash's input is written to {@code <work>/crashes/crash-<sha1>} (a time-out's to {@code timeout-<sha1>}), with
 * a Java reproducer beside it.
 */
public final class FuzzRun {
    /** The repository's corpus, relative to the project directory. */
    static final Path SEEDS = Path.of("src", "test", "resources", "fuzz");
    /** libFuzzer's per-input time limit: far above any input's few milliseconds. */
    private static final int INPUT_TIMEOUT_SECONDS = 10;

    /** What a run printed: its exit code and its RESULT lines, one per target and the last for all. */
    public record Result(int exitCode, List<Map<String, String>> lines, Path log) {
        /** @return a figure of the line of that target ("all" for the total) */
        public long figure(String target, String key) {
            for (Map<String, String> line : lines) {
                if (target.equals(line.get("target")) && line.containsKey(key)) {
                    return Long.parseLong(line.get(key));
                }
            }
            throw new IllegalStateException("The run printed no " + key + " for " + target + "; see " + log);
        }
    }

    private FuzzRun() {
    }

    /** @return the names of the targets */
    public static List<String> targets() {
        List<String> ids = new ArrayList<>();
        for (ReceivePathFuzzTarget.Target t : ReceivePathFuzzTarget.Target.values()) {
            ids.add(t.id());
        }
        return ids;
    }

    /**
     * @param only       the one target to fuzz, or null for all three, as the first byte of each input picks
     * @param inputs     inputs to run at most, seeds included
     * @param maxSeconds time to run at most, the JVM's start-up included
     * @param work       where the grown corpus, the crashes and the log go
     * @param progress   whether libFuzzer's progress lines go to this process's stderr, else only to the log
     */
    public static Result run(String only, long inputs, int maxSeconds, Path work, boolean progress)
            throws IOException, InterruptedException {
        String name = only == null ? "all" : only;
        Path corpus = work.resolve("corpus-" + name);
        // Every run starts from the repository's corpus alone, so that its figures compare with another's.
        if (Files.exists(corpus)) {
            try (Stream<Path> grown = Files.walk(corpus)) {
                for (Path p : grown.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(corpus);
        Path crashes = Files.createDirectories(work.resolve("crashes"));
        Path log = work.resolve(name + ".log");
        Path out = work.resolve(name + ".out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java,
                "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + ReceivePathFuzzTarget.class.getName()));
        if (only != null) {
            command.add("--target_args=" + only);
        }
        command.addAll(List.of(
                // Coverage of XO and of the XML and XMPP code it hands the text to; the rest is not ours to steer.
                "--instrumentation_includes=org.xo.**:org.dom4j.**:org.xmlpull.**:org.xmpp.**",
                "--reproducer_path=" + crashes,
                // Go on after a crash, so that a run counts them all (distinct ones, at most this many).
                "--keep_going=100",
                "-seed=1",
                "-runs=" + inputs,
                "-max_total_time=" + maxSeconds,
                "-timeout=" + INPUT_TIMEOUT_SECONDS,
                "-artifact_prefix=" + crashes + File.separator,
                corpus.toString(),
                SEEDS.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile());
        if (progress) {
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            builder.redirectError(log.toFile());
        }
        int exitCode = builder.start().waitFor();
        List<Map<String, String>> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            if (line.startsWith("RESULT ")) {
                Map<String, String> figures = new LinkedHashMap<>();
                for (String pair : line.substring("RESULT ".length()).split(" ")) {
                    String[] kv = pair.split("=", 2);
                    figures.put(kv[0], kv[1]);
                }
                lines.add(figures);
            }
        }
        return new Result(exitCode, lines, progress ? out : log);
    }
}
