#include "bench/run_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace oncepay::bench {

void Timeline::tick(Recorder& recorder, Clock::time_point now, bool final) {
  HistogramSnapshot taken = recorder.take();
  total_.merge(taken);
  current_.merge(taken);
  if (samples_.empty() && open_since_ == Clock::time_point{}) open_since_ = start_;
  if (now >= next_ || final) {
    close_sample(now);
    while (next_ <= now) next_ += interval_;
  }
}

void Timeline::close_sample(Clock::time_point end) {
  const double seconds = std::chrono::duration<double>(end - open_since_).count();
  if (seconds <= 0) return;
  Sample s;
  s.t_s = std::chrono::duration<double>(end - start_).count();
  s.rps = static_cast<double>(current_.total()) / seconds;
  s.p50_ms = current_.quantile_ms(0.5);
  s.p90_ms = current_.quantile_ms(0.9);
  s.p99_ms = current_.quantile_ms(0.99);
  s.p999_ms = current_.quantile_ms(0.999);
  samples_.push_back(s);
  current_ = HistogramSnapshot{};
  open_since_ = end;
}

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

void JsonLine::key(const std::string& k) {
  if (!body_.empty()) body_ += ',';
  body_ += '"';
  body_ += json_escape(k);
  body_ += "\":";
}

void JsonLine::add(const std::string& k, const std::string& value) {
  key(k);
  body_ += '"';
  body_ += json_escape(value);
  body_ += '"';
}

void JsonLine::add(const std::string& k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  body_ += buf;
}

void JsonLine::add(const std::string& k, uint64_t value) {
  key(k);
  body_ += std::to_string(value);
}

void JsonLine::add(const std::string& k, int64_t value) {
  key(k);
  body_ += std::to_string(value);
}

void JsonLine::add_bool(const std::string& k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
}

void JsonLine::add_null(const std::string& k) {
  key(k);
  body_ += "null";
}

void JsonLine::add(const std::string& k, const std::map<std::string, uint64_t>& object) {
  key(k);
  JsonLine inner;
  for (const auto& [name, count] : object) inner.add(name, count);
  body_ += inner.str();
}

namespace {

struct Panel {
  double x0, y0, width, height;  // plot area in SVG units
};

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '\'')
      out += "&apos;";
    else
      out += c;
  }
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string axis_label(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  } else if (v >= 1) {
    std::snprintf(buf, sizeof buf, "%g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

void frame(std::ostringstream& svg, const Panel& p, const std::string& label) {
  svg << "<rect x='" << fmt(p.x0) << "' y='" << fmt(p.y0) << "' width='" << fmt(p.width)
      << "' height='" << fmt(p.height) << "' fill='none' stroke='#888'/>\n";
  svg << "<text x='" << fmt(p.x0) << "' y='" << fmt(p.y0 - 8) << "' font-size='13'>" << label
      << "</text>\n";
}

void x_axis(std::ostringstream& svg, const Panel& p, double t_max) {
  const int ticks = 5;
  for (int i = 0; i <= ticks; ++i) {
    const double t = t_max * i / ticks;
    const double x = p.x0 + p.width * i / ticks;
    svg << "<line x1='" << fmt(x) << "' y1='" << fmt(p.y0) << "' x2='" << fmt(x) << "' y2='"
        << fmt(p.y0 + p.height) << "' stroke='#eee'/>\n";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", t);
    svg << "<text x='" << fmt(x) << "' y='" << fmt(p.y0 + p.height + 14)
        << "' font-size='11' text-anchor='middle'>" << buf << "</text>\n";
  }
}

void y_tick(std::ostringstream& svg, const Panel& p, double y, const std::string& label) {
  svg << "<line x1='" << fmt(p.x0) << "' y1='" << fmt(y) << "' x2='" << fmt(p.x0 + p.width)
      << "' y2='" << fmt(y) << "' stroke='#eee'/>\n";
  svg << "<text x='" << fmt(p.x0 - 6) << "' y='" << fmt(y + 4)
      << "' font-size='11' text-anchor='end'>" << label << "</text>\n";
}

}  // namespace

bool write_svg(const std::string& path, const std::string& title,
               const std::vector<Sample>& samples) {
  const double width = 900, height = 600;
  const Panel latency{80, 60, 780, 220};
  const Panel throughput{80, 350, 780, 200};
  double t_max = 1, lat_min = 1e9, lat_max = 0, rps_max = 1;
  for (const auto& s : samples) {
    t_max = std::max(t_max, s.t_s);
    rps_max = std::max(rps_max, s.rps);
    for (double v : {s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms}) {
      if (v > 0) lat_min = std::min(lat_min, v), lat_max = std::max(lat_max, v);
    }
  }
  if (lat_max == 0) lat_min = 0.01, lat_max = 1;
  const double decade_lo = std::floor(std::log10(lat_min));
  double decade_hi = std::ceil(std::log10(lat_max));
  if (decade_hi <= decade_lo) decade_hi = decade_lo + 1;
  auto lat_y = [&](double ms) {
    const double v = std::log10(std::max(ms, std::pow(10.0, decade_lo)));
    return latency.y0 + latency.height * (1 - (v - decade_lo) / (decade_hi - decade_lo));
  };
  auto x_of = [&](const Panel& p, double t) { return p.x0 + p.width * t / t_max; };
  const double rps_top = rps_max * 1.1;
  auto rps_y = [&](double rps) { return throughput.y0 + throughput.height * (1 - rps / rps_top); };

  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif'>\n";
  svg << "<rect width='100%' height='100%' fill='white'/>\n";
  svg << "<text x='" << fmt(width / 2) << "' y='24' font-size='16' text-anchor='middle'>"
      << xml_escape(title) << "</text>\n";
  frame(svg, latency, "latency (ms, log scale)");
  frame(svg, throughput, "throughput (requests/s)");
  x_axis(svg, latency, t_max);
  x_axis(svg, throughput, t_max);
  for (double d = decade_lo; d <= decade_hi; d += 1) {
    y_tick(svg, latency, lat_y(std::pow(10.0, d)), axis_label(std::pow(10.0, d)));
  }
  for (int i = 0; i <= 4; ++i) {
    const double v = rps_top * i / 4;
    y_tick(svg, throughput, rps_y(v), axis_label(v));
  }
  struct Series {
    const char* name;
    const char* color;
    double Sample::*field;
  };
  const Series series[] = {{"p50", "#1f77b4", &Sample::p50_ms},
                           {"p90", "#2ca02c", &Sample::p90_ms},
                           {"p99", "#ff7f0e", &Sample::p99_ms},
                           {"p99.9", "#d62728", &Sample::p999_ms}};
  double legend_x = latency.x0 + 10;
  for (const auto& s : series) {
    svg << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.8' points='";
    for (const auto& sample : samples) {
      svg << fmt(x_of(latency, sample.t_s)) << ',' << fmt(lat_y(sample.*(s.field))) << ' ';
    }
    svg << "'/>\n";
    svg << "<text x='" << fmt(legend_x) << "' y='" << fmt(latency.y0 + 16)
        << "' font-size='12' fill='" << s.color << "'>" << s.name << "</text>\n";
    legend_x += 50;
  }
  svg << "<polyline fill='none' stroke='#333' stroke-width='1.8' points='";
  for (const auto& sample : samples) {
    svg << fmt(x_of(throughput, sample.t_s)) << ',' << fmt(rps_y(sample.rps)) << ' ';
  }
  svg << "'/>\n";
  svg << "<text x='" << fmt(width / 2) << "' y='" << fmt(height - 12)
      << "' font-size='12' text-anchor='middle'>elapsed time</text>\n";
  svg << "</svg>\n";

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << svg.str();
  return static_cast<bool>(out.flush());
}

}  // namespace oncepay::bench
