// The live view page (HTML, CSS and JavaScript in one document, no external
// resources), served at "/". Any thread.
#pragma once

#include <string_view>

namespace framewire::view {

std::string_view live_page();

}  // namespace framewire::view
