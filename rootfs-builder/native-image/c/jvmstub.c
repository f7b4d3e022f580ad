/* libjava.so and its siblings are linked against libjvm.so: this one only has to be found. The image
 * exports the JVM_ functions it implements, and the dynamic linker binds the libraries' calls to those. */
