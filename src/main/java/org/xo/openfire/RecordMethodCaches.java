package org.xo.openfire;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.runtime.ObjectMethods;

/**
 * Lets go of the plugin's classes that Java 17 keeps in its record support after the plugin is unloaded.
 * <p>
 * A record's generated equals, hashCode and toString are linked by {@link ObjectMethods#bootstrap}, which adapts a
 * few shared method handles of its own to the record's type and the types of its components. Before Java 18
 * (JDK-8078641) a method handle remembers its last adaptation with a strong reference, so those shared handles keep
 * the last record class linked, and the types of its components, for good: on an unloaded plugin that is a class of
 * the plugin, and through it the plugin's class loader with every class and static field it holds. Linking the
 * three methods once more for a JDK type replaces each remembered adaptation with one that refers to JDK classes
 * only. On Java 18 and later this merely links three unused method handles.
 */
final class RecordMethodCaches {
    private RecordMethodCaches() {
    }

    /** Points the shared adaptations at {@code String}, a class that is never unloaded. */
    static void release() {
        // One "component" of type String read by identity: the receiver and the component types are both JDK types.
        MethodHandle component = MethodHandles.identity(String.class);
        try {
            for (String method : new String[] {"equals", "hashCode", "toString"}) {
                ObjectMethods.bootstrap(MethodHandles.lookup(), method, MethodHandle.class, String.class, "value",
                        component);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("Could not release the record methods' cached adaptations", e);
        }
    }
}
