#include "source/folder_listing.hpp"
