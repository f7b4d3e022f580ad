package io.podvisor.shim.task;

import java.util.regex.Pattern;

/**
 * Container and exec ids as containerd's identifiers package allows them: letters and digits, with single '.', '_'
 * or '-' between them, at most 76 characters. Ids become parts of paths and guest names, so anything else (a '/',
 * "..", a control character) is refused before it is used.
 */
final class TaskIds {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
    private static final int MAX_LENGTH = 76;

    private TaskIds() {}

    static void require(String what, String id) throws TaskException {
        if (id.isEmpty()) {
            throw TaskException.invalidArgument(what + " id is empty");
        }
        if (id.length() > MAX_LENGTH || !ID.matcher(id).matches()) {
            throw TaskException.invalidArgument(what + " id \"" + printable(id) + "\" is not valid: use letters and"
                    + " digits with single '.', '_' or '-' between them, at most " + MAX_LENGTH + " characters");
        }
    }

    private static String printable(String id) {
        String shown = id.length() > MAX_LENGTH ? id.substring(0, MAX_LENGTH) + "..." : id;
        return shown.codePoints().mapToObj(c -> c < 0x20 || c == 0x7f ? String.format("\\x%02x", c)
                : Character.toString(c)).reduce("", String::concat);
    }
}
