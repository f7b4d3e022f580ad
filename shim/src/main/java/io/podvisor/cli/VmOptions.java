package io.podvisor.cli;

import java.util.ArrayList;
import java.util.List;

/** The options of the vm commands, plus the command after {@code --}. */
record VmOptions(Long memoryMiB, Integer cpus, Integer timeoutSeconds, String hypervisor,
                 List<String> command) {

    static VmOptions parse(List<String> args) {
        Long memory = null;
        Integer cpus = null;
        Integer timeout = null;
        String hypervisor = null;
        List<String> command = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                command.addAll(args.subList(i + 1, args.size()));
                break;
            }
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            switch (a) {
                case "--memory" -> memory = (long) number(a, value);
                case "--cpus" -> cpus = number(a, value);
                case "--timeout" -> timeout = number(a, value);
                case "--hypervisor" -> hypervisor = required(a, value);
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
            i++;
        }
        return new VmOptions(memory, cpus, timeout, hypervisor, List.copyOf(command));
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static int number(String option, String value) {
        try {
            int n = Integer.parseInt(required(option, value));
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a positive number, got '" + value + "'");
        }
    }
}
