#include "storage/safe_name.hpp"
