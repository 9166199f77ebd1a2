// The line-numbered CSV row stream both daily-statement parsers read
// (channels/wechatpay/tradebill, channels/alipay/trade_bill): libcsv fed in
// chunks (CSV_REPALL_NL), each complete non-blank row handed to
// process_row() with its 1-based line number (a CRLF ends one line; blank
// lines count but are not handed on), and the first error kept with its line.
//
// Threads and ownership: one parser, one thread. A parser derives from it
// and reads the current row (field(), ends, row) inside process_row() only.
// Failure modes: libcsv refusing the bytes fails the stream on the line
// after the last complete one; fail() keeps the first reason; once failed,
// feed() and finish_input() do nothing and return false. amount() and add()
// refuse what would not fit an int64 (a hostile file's huge amounts or
// totals) instead of overflowing.
#pragma once

#include <csv.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/statement.hpp"

namespace oncepay::channels {

struct CsvLineReader {
  CsvLineReader();
  virtual ~CsvLineReader();
  CsvLineReader(const CsvLineReader&) = delete;
  CsvLineReader& operator=(const CsvLineReader&) = delete;

  // Parses `chunk`; false once the stream failed.
  bool feed(std::string_view chunk);
  // The end of the input (a last row without a line end); false once failed.
  bool finish_input();

  // The current row's field `i` (< ends.size()).
  std::string_view field(size_t i) const;
  // Fails the stream at line_no (the first reason stays); always false.
  bool fail(std::string reason);
  // core::parse_decimal of `text` (column `name`), failing the stream when it
  // is not an amount or its value would not fit an int64 once scaled by
  // 10^decimals (parse_decimal accepts 15 whole digits, which overflows with
  // WeChat's 5 fee decimals).
  bool amount(std::string_view text, int decimals, std::string_view name, int64_t* out);
  // *total += value, or *total = value * factor for scale(); failing the
  // stream on int64 overflow.
  bool add(int64_t* total, int64_t value);
  bool scale(int64_t value, int64_t factor, int64_t* out);

  // The current row: its fields' bytes back to back, and where each ends.
  std::string row;
  std::vector<size_t> ends;
  uint64_t line_no = 0;  // of the current row; the last one seen after it
  bool failed = false;
  core::StatementError error;

 protected:
  // One complete, non-blank row, while the stream has not failed.
  virtual void process_row() = 0;

 private:
  static void on_field(void* bytes, size_t len, void* data);
  static void on_row(int terminator, void* data);
  void on_row_end(int terminator);

  csv_parser csv_{};
  int previous_terminator_ = 0;
};

}  // namespace oncepay::channels
