package io.ipnslink.filter.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scrape in the Prometheus text format, parsed into samples (tests). */
public record Scrape(List<Sample> samples) {
    /** One line: name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    public static Scrape parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                String inner = line.substring(brace + 1, close);
                int i = 0;
                while (i < inner.length()) {
                    int eq = inner.indexOf('=', i);
                    String key = inner.substring(i, eq).trim();
                    int q = inner.indexOf('"', eq);
                    StringBuilder v = new StringBuilder();
                    int j = q + 1;
                    for (; inner.charAt(j) != '"'; j++) {
                        char c = inner.charAt(j);
                        if (c == '\\') {
                            j++;
                            c = inner.charAt(j) == 'n' ? '\n' : inner.charAt(j);
                        }
                        v.append(c);
                    }
                    labels.put(key, v.toString());
                    i = j + 1;
                    if (i < inner.length() && inner.charAt(i) == ',') {
                        i++;
                    }
                }
                space = line.indexOf(' ', close);
            } else {
                name = line.substring(0, line.indexOf(' '));
                space = line.indexOf(' ');
            }
            String rest = line.substring(space + 1).trim();
            int sp = rest.indexOf(' ');
            String value = sp < 0 ? rest : rest.substring(0, sp);
            out.add(new Sample(name, labels, Double.parseDouble(value.replace("+Inf", "Infinity")
                    .replace("NaN", "NaN"))));
        }
        return new Scrape(out);
    }

    /** Samples named {@code name} whose labels include {@code labels} (pairs: key, value, ...). */
    public List<Sample> find(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                    all = false;
                    break;
                }
            }
            if (all) {
                out.add(s);
            }
        }
        return out;
    }

    /** The sum of the values of {@link #find}; 0 when none. */
    public double value(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** Distinct label values of {@code label} among the samples named {@code name}. */
    public java.util.Set<String> labelValues(String name, String label) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Sample s : find(name)) {
            String v = s.labels().get(label);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }
}
