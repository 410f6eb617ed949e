package controlplane.tests.confread;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.apache.pinot.controller.ControllerConf;
import org.apache.pinot.spi.env.PinotConfiguration;
import org.apache.pinot.tools.utils.PinotConfigUtils;

/**
 * Reads rendered Pinot config files the way Pinot's start commands do, many per JVM.
 *
 * <p>Each line on stdin is {@code <role> <path>}; for each, one line on stdout: a JSON object of the
 * keys Pinot holds (relaxed, as {@code getKeys()} returns them) and the values {@code getProperty}
 * reads, or {@code {"error": "..."}} when loading failed. The file goes through
 * {@code PinotConfigUtils.readConfigFromFile} into a {@code PinotConfiguration}, as
 * {@code PinotServiceManager} does, and for the controller on into a {@code ControllerConf}, as
 * {@code BaseControllerStarter} does. Anything else that writes to stdout (logging) is sent to stderr.
 */
public final class PinotConfRead {
  private PinotConfRead() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    System.setOut(System.err);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      int space = line.indexOf(' ');
      out.println(read(line.substring(0, space), line.substring(space + 1)));
    }
  }

  private static String read(String role, String path) {
    StringBuilder json = new StringBuilder("{");
    try {
      PinotConfiguration config = new PinotConfiguration(PinotConfigUtils.readConfigFromFile(path));
      if (role.equals("controller")) {
        config = new ControllerConf(config.toMap());
      }
      json.append("\"properties\":{");
      String separator = "";
      for (String key : new TreeSet<>(config.getKeys())) {
        json.append(separator).append(quoted(key)).append(':').append(quoted(config.getProperty(key)));
        separator = ",";
      }
      json.append('}');
    } catch (Exception e) {
      json.append("\"error\":").append(quoted(String.valueOf(e)));
    }
    return json.append('}').toString();
  }

  /** A JSON string in ASCII: every char outside printable ASCII, and the two JSON must escape, as \\uXXXX. */
  private static String quoted(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
