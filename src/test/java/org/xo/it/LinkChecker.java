package org.xo.it;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;

/**
 * Links compiled classes against a server's libraries the way the JVM will when it runs them: every class, field and
 * method a class refers to (its constant pool) must exist there with the same descriptor, declared by the owner or
 * inherited. A plugin compiled against Openfire 4.2.0 that calls a member Openfire 5 changed fails only when that
 * line runs (NoSuchMethodError); this finds it before. Reads class files itself, loads none.
 */
final class LinkChecker {
    /** A class as linking sees it: its supertypes and its members as "name descriptor" (fields: "name:descriptor"). */
    private record ClassInfo(String superName, List<String> interfaces, Set<String> members) {
    }

    /** What one class file refers to: classes, and members as "owner.name descriptor" / "owner.name:descriptor". */
    private record References(Set<String> classes, Set<String> members) {
    }

    private final Map<String, byte[]> checked = new HashMap<>();
    private final Map<String, Path> library = new HashMap<>();
    private final Map<String, ClassInfo> parsed = new HashMap<>();
    private int resolved;

    /** @param libraryJars the server's class path (the JDK's own classes are added) */
    LinkChecker(List<Path> libraryJars) throws IOException {
        for (Path jar : libraryJars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                file.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class"))
                        .forEach(n -> library.putIfAbsent(n.substring(0, n.length() - 6), jar));
            }
        }
    }

    /** Adds the classes of a JAR, including those of JARs inside it (an Openfire plugin's lib/). */
    void addClassesOf(InputStream jar) throws IOException {
        JarInputStream in = new JarInputStream(jar);
        for (JarEntry entry; (entry = in.getNextJarEntry()) != null; ) {
            byte[] bytes = in.readAllBytes();
            if (entry.getName().endsWith(".class") && !entry.getName().endsWith("module-info.class")) {
                checked.put(entry.getName().substring(0, entry.getName().length() - 6), bytes);
            } else if (entry.getName().endsWith(".jar")) {
                addClassesOf(new ByteArrayInputStream(bytes));
            }
        }
    }

    boolean checks(String className) {
        return checked.containsKey(className);
    }

    int classesChecked() {
        return checked.size();
    }

    /** @return how many references to the library (not to the checked classes or the JDK) were found and resolved */
    int resolved() {
        return resolved;
    }

    /** @return the references the library cannot satisfy, sorted; empty when every class links */
    Set<String> missing() throws IOException {
        Set<String> missing = new TreeSet<>();
        for (byte[] bytes : checked.values()) {
            References refs = references(bytes);
            for (String owner : refs.classes()) {
                if (isExternal(owner) && !exists(owner)) {
                    missing.add("class " + owner);
                }
            }
            for (String member : refs.members()) {
                String owner = member.substring(0, member.indexOf('.'));
                if (!isExternal(owner) || isJdk(owner)) {
                    continue;
                }
                if (exists(owner) && hasMember(owner, member.substring(owner.length() + 1), new HashSet<>())) {
                    resolved++;
                } else {
                    missing.add(member);
                }
            }
        }
        return missing;
    }

    /** Whether a member (as "name descriptor" or "name:descriptor") links in the library. */
    boolean links(String owner, String member) throws IOException {
        return exists(owner) && hasMember(owner, member, new HashSet<>());
    }

    private boolean isExternal(String owner) {
        return !owner.startsWith("[") && !checked.containsKey(owner);
    }

    private static boolean isJdk(String owner) {
        return ClassLoader.getPlatformClassLoader().getResource(owner + ".class") != null;
    }

    private boolean exists(String owner) throws IOException {
        return isJdk(owner) || library.containsKey(owner);
    }

    private boolean hasMember(String owner, String member, Set<String> seen) throws IOException {
        if (owner == null || !seen.add(owner)) {
            return false;
        }
        ClassInfo info = info(owner);
        if (info == null) {
            return false;
        }
        if (info.members().contains(member)) {
            return true;
        }
        if (hasMember(info.superName(), member, seen)) {
            return true;
        }
        for (String superInterface : info.interfaces()) {
            if (hasMember(superInterface, member, seen)) {
                return true;
            }
        }
        return false;
    }

    private ClassInfo info(String name) throws IOException {
        if (parsed.containsKey(name)) {
            return parsed.get(name);
        }
        byte[] bytes = null;
        Path jar = library.get(name);
        if (jar != null) {
            try (JarFile file = new JarFile(jar.toFile())) {
                bytes = file.getInputStream(file.getJarEntry(name + ".class")).readAllBytes();
            }
        } else {
            try (InputStream in = ClassLoader.getPlatformClassLoader().getResourceAsStream(name + ".class")) {
                bytes = in == null ? null : in.readAllBytes();
            }
        }
        ClassInfo info = bytes == null ? null : classInfo(bytes);
        parsed.put(name, info);
        return info;
    }

    // ---- class file reading (JVMS chapter 4) -----------------------------------------------------------------------

    private static ClassInfo classInfo(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            Object[] pool = constantPool(in);
            in.readUnsignedShort(); // access flags
            in.readUnsignedShort(); // this class
            int superIndex = in.readUnsignedShort();
            String superName = superIndex == 0 ? null : className(pool, superIndex);
            List<String> interfaces = new ArrayList<>();
            for (int i = in.readUnsignedShort(); i > 0; i--) {
                interfaces.add(className(pool, in.readUnsignedShort()));
            }
            Set<String> members = new HashSet<>();
            for (String separator : new String[] {":", " "}) { // fields, then methods
                for (int i = in.readUnsignedShort(); i > 0; i--) {
                    in.readUnsignedShort();
                    String name = (String) pool[in.readUnsignedShort()];
                    String descriptor = (String) pool[in.readUnsignedShort()];
                    members.add(name + separator + descriptor);
                    for (int a = in.readUnsignedShort(); a > 0; a--) {
                        in.readUnsignedShort();
                        in.skipNBytes(in.readInt());
                    }
                }
            }
            return new ClassInfo(superName, interfaces, members);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static References references(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            Object[] pool = constantPool(in);
            Set<String> classes = new HashSet<>();
            Set<String> members = new HashSet<>();
            for (Object entry : pool) {
                if (entry instanceof int[] ref && ref[0] == 7) {
                    classes.add((String) pool[ref[1]]);
                } else if (entry instanceof int[] ref && ref[0] >= 9 && ref[0] <= 11) {
                    int[] nameAndType = (int[]) pool[ref[2]];
                    members.add(className(pool, ref[1]) + "." + pool[nameAndType[1]] + (ref[0] == 9 ? ":" : " ")
                            + pool[nameAndType[2]]);
                }
            }
            return new References(classes, members);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Utf8 entries as String, references as int[] {tag, index, index}; other entries are skipped. */
    private static Object[] constantPool(DataInputStream in) throws IOException {
        in.readInt(); // magic
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        Object[] pool = new Object[in.readUnsignedShort()];
        for (int i = 1; i < pool.length; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> pool[i] = in.readUTF();
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // takes two entries
                }
                case 7, 8, 16, 19, 20 -> pool[i] = new int[] {tag, in.readUnsignedShort(), 0};
                case 9, 10, 11, 12, 17, 18 -> pool[i] = new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()};
                case 15 -> pool[i] = new int[] {tag, in.readUnsignedByte(), in.readUnsignedShort()};
                default -> throw new IOException("Unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        return pool;
    }

    private static String className(Object[] pool, int classIndex) {
        return (String) pool[((int[]) pool[classIndex])[1]];
    }
}
