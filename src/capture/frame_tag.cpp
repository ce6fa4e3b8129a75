// Frame number tag (frame_tag.hpp). Reading samples the middle half of each cell and
// thresholds its mean brightness at mid-grey, which survives JPEG at any usual quality, 4:2:0
// chroma and the ringing of a video codec, because a cell is at least 4x4 pixels of pure black
// or white.
#include "capture/frame_tag.hpp"

#include <array>
#include <cstring>

#include "capture/pixel_fill.hpp"

namespace framewire::capture {
namespace {

constexpr int kCellsAcross = 48;  // cell = width / 48
constexpr int kMinCell = 4;
constexpr int kRowsNeeded = 9;  // margin, strip, gap, 5 rows of digits, margin
constexpr int kDataBits = 32;
constexpr int kCheckBits = 8;
constexpr std::uint8_t kCheckSeed = 0xA5;
constexpr std::uint8_t kWhite = 235;
constexpr std::uint8_t kBlack = 16;
constexpr int kMaxDigits = 11;

// 3x5 digits, one row per entry, bit 2 = left column.
constexpr std::array<std::array<std::uint8_t, 5>, 10> kFont{{
    {7, 5, 5, 5, 7},  // 0
    {2, 6, 2, 2, 7},  // 1
    {7, 1, 7, 4, 7},  // 2
    {7, 1, 7, 1, 7},  // 3
    {5, 5, 7, 1, 1},  // 4
    {7, 4, 7, 1, 7},  // 5
    {7, 4, 7, 5, 7},  // 6
    {7, 1, 2, 2, 2},  // 7
    {7, 5, 7, 5, 7},  // 8
    {7, 5, 7, 1, 7},  // 9
}};

std::uint8_t check_byte(std::uint32_t value) {
  return static_cast<std::uint8_t>((value >> 24) ^ (value >> 16) ^ (value >> 8) ^ value ^
                                   kCheckSeed);
}

// The cells of the strip, left to right: true is white.
std::array<bool, 2 + kDataBits + kCheckBits> strip_cells(std::uint32_t value) {
  std::array<bool, 2 + kDataBits + kCheckBits> cells{};
  cells[0] = true;
  cells[1] = false;
  for (int i = 0; i < kDataBits; ++i) cells[2 + i] = ((value >> (kDataBits - 1 - i)) & 1) != 0;
  const std::uint8_t check = check_byte(value);
  for (int i = 0; i < kCheckBits; ++i) {
    cells[2 + kDataBits + i] = ((check >> (kCheckBits - 1 - i)) & 1) != 0;
  }
  return cells;
}

// Mean brightness (0..255) of the middle half of the cell at column `cx`, row `cy`.
int cell_brightness(const ImageView& image, int cell, int cx, int cy) {
  const int x0 = cx * cell + cell / 4;
  const int y0 = cy * cell + cell / 4;
  const int side = cell / 2;
  const int pixel = bytes_per_pixel(image.format);
  long sum = 0;
  for (int y = y0; y < y0 + side; ++y) {
    const std::uint8_t* row = image.row(y) + static_cast<std::size_t>(x0) * pixel;
    for (int x = 0; x < side; ++x) {
      switch (image.format) {
        case PixelFormat::kGray8:
          sum += row[x];
          break;
        case PixelFormat::kGray16: {
          // Byte access keeps this valid for views of any alignment.
          std::uint16_t sample = 0;
          std::memcpy(&sample, row + x * 2, 2);
          sum += sample >> 8;
          break;
        }
        case PixelFormat::kRgb8:
        case PixelFormat::kBgr8:
          sum += (row[x * 3] + row[x * 3 + 1] + row[x * 3 + 2]) / 3;
          break;
      }
    }
  }
  return static_cast<int>(sum / (static_cast<long>(side) * side));
}

}  // namespace

int frame_tag_cell(int width, int height) {
  const int cell = width / kCellsAcross;
  if (cell < kMinCell || height < kRowsNeeded * cell) return 0;
  return cell;
}

void draw_frame_tag(std::uint64_t frame, Image& image) {
  const int cell = frame_tag_cell(image.width(), image.height());
  if (cell == 0) return;
  const auto cells = strip_cells(static_cast<std::uint32_t>(frame));
  for (std::size_t i = 0; i < cells.size(); ++i) {
    fill_rect(image, static_cast<int>(1 + i) * cell, cell, cell, cell, cells[i] ? kWhite : kBlack);
  }

  std::array<int, kMaxDigits> digits{};
  int count = 0;
  std::uint64_t rest = frame;
  do {
    digits[count++] = static_cast<int>(rest % 10);
    rest /= 10;
  } while (rest != 0 && count < kMaxDigits);
  const int top = 3 * cell;
  fill_rect(image, cell / 2, top - cell / 2, (count * 4) * cell + cell, 6 * cell, kBlack);
  for (int d = 0; d < count; ++d) {
    const auto& glyph = kFont[digits[count - 1 - d]];
    const int left = cell + d * 4 * cell;
    for (int gy = 0; gy < 5; ++gy) {
      for (int gx = 0; gx < 3; ++gx) {
        if (((glyph[gy] >> (2 - gx)) & 1) == 0) continue;
        fill_rect(image, left + gx * cell, top + gy * cell, cell, cell, kWhite);
      }
    }
  }
}

std::optional<std::uint32_t> read_frame_tag(const ImageView& image) {
  const int cell = frame_tag_cell(image.width, image.height);
  if (cell == 0 || image.data == nullptr) return std::nullopt;
  std::array<bool, 2 + kDataBits + kCheckBits> cells{};
  for (std::size_t i = 0; i < cells.size(); ++i) {
    cells[i] = cell_brightness(image, cell, static_cast<int>(1 + i), 1) >= 128;
  }
  if (!cells[0] || cells[1]) return std::nullopt;
  std::uint32_t value = 0;
  for (int i = 0; i < kDataBits; ++i) value = (value << 1) | (cells[2 + i] ? 1U : 0U);
  std::uint8_t check = 0;
  for (int i = 0; i < kCheckBits; ++i) {
    check = static_cast<std::uint8_t>((check << 1) | (cells[2 + kDataBits + i] ? 1 : 0));
  }
  if (check != check_byte(value)) return std::nullopt;
  return value;
}

}  // namespace framewire::capture
