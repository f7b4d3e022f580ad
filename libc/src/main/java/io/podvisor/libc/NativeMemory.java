package io.podvisor.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes native memory (structs and strings passed to {@link Libc}) through {@link ByteBuffer} views:
 * in a native image every ValueLayout accessor of MemorySegment ({@code get}, {@code set}, {@code getString},
 * {@code allocateFrom}) throws, while allocation, {@code address()}, {@code asSlice} and {@code asByteBuffer()}
 * work. The JVM takes the same path.
 */
public final class NativeMemory {

    private NativeMemory() {}

    /** A view of {@code segment} in the machine's byte order, for absolute get and put at byte offsets. */
    public static ByteBuffer view(MemorySegment segment) {
        return segment.asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** A copy of the first {@code length} bytes of {@code segment}. */
    public static byte[] bytes(MemorySegment segment, int length) {
        byte[] bytes = new byte[length];
        segment.asByteBuffer().get(0, bytes);
        return bytes;
    }

    /** The address of {@code value} as a NUL-terminated UTF-8 string in {@code arena}; 0 for null. */
    public static long cString(Arena arena, String value) {
        if (value == null) {
            return 0;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        MemorySegment string = arena.allocate(bytes.length + 1L);
        string.asByteBuffer().put(0, bytes).put(bytes.length, (byte) 0);
        return string.address();
    }

    /** The UTF-8 string at the start of {@code segment}, up to its first NUL or its end. */
    public static String string(MemorySegment segment) {
        ByteBuffer bytes = segment.asByteBuffer();
        int length = 0;
        while (length < bytes.limit() && bytes.get(length) != 0) {
            length++;
        }
        byte[] text = new byte[length];
        bytes.get(0, text);
        return new String(text, StandardCharsets.UTF_8);
    }
}
