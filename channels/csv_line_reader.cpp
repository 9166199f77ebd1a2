#include "channels/csv_line_reader.hpp"

#include "core/check.hpp"

namespace oncepay::channels {

CsvLineReader::CsvLineReader() { ONCEPAY_CHECK(csv_init(&csv_, CSV_REPALL_NL) == 0); }

CsvLineReader::~CsvLineReader() { csv_free(&csv_); }

bool CsvLineReader::feed(std::string_view chunk) {
  if (failed) return false;
  if (csv_parse(&csv_, chunk.data(), chunk.size(), on_field, on_row, this) != chunk.size()) {
    ++line_no;
    return fail(csv_strerror(csv_error(&csv_)));
  }
  return !failed;
}

bool CsvLineReader::finish_input() {
  if (failed) return false;
  csv_fini(&csv_, on_field, on_row, this);
  return !failed;
}

std::string_view CsvLineReader::field(size_t i) const {
  const size_t begin = i == 0 ? 0 : ends[i - 1];
  return std::string_view(row).substr(begin, ends[i] - begin);
}

bool CsvLineReader::fail(std::string reason) {
  if (!failed) {
    failed = true;
    error.line = line_no;
    error.reason = "line " + std::to_string(line_no) + ": " + std::move(reason);
  }
  return false;
}

bool CsvLineReader::amount(std::string_view text, int decimals, std::string_view name,
                           int64_t* out) {
  // int64 holds 18 decimal digits in all: whole digits + decimals must not exceed that.
  constexpr size_t kInt64Digits = 18;
  std::string_view whole = text.substr(0, text.find('.'));
  if (whole.starts_with('-')) whole.remove_prefix(1);
  const bool fits = decimals >= 0 && whole.size() + static_cast<size_t>(decimals) <= kInt64Digits;
  if (!fits || !core::parse_decimal(text, decimals, out)) {
    return fail("bad amount in " + std::string(name) + ": '" + std::string(text) + "'");
  }
  return true;
}

bool CsvLineReader::add(int64_t* total, int64_t value) {
  if (__builtin_add_overflow(*total, value, total)) return fail("amounts add up past int64");
  return true;
}

bool CsvLineReader::scale(int64_t value, int64_t factor, int64_t* out) {
  if (__builtin_mul_overflow(value, factor, out)) return fail("amount too large");
  return true;
}

void CsvLineReader::on_field(void* bytes, size_t len, void* data) {
  auto* self = static_cast<CsvLineReader*>(data);
  if (self->failed) return;
  self->row.append(static_cast<const char*>(bytes), len);
  self->ends.push_back(self->row.size());
}

void CsvLineReader::on_row(int terminator, void* data) {
  static_cast<CsvLineReader*>(data)->on_row_end(terminator);
}

void CsvLineReader::on_row_end(int terminator) {
  const bool blank = ends.empty();
  const bool crlf_tail = blank && terminator == '\n' && previous_terminator_ == '\r';
  previous_terminator_ = terminator;
  if (crlf_tail) return;
  ++line_no;
  if (!blank && !failed) process_row();
  row.clear();
  ends.clear();
}

}  // namespace oncepay::channels
