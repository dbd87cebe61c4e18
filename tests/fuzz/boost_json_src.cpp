// Compiles Boost.JSON's parser into the fuzzer, instrumented, so coverage guidance reaches inside
// it (the shared libboost_json the binaries use is not instrumented).
#include <boost/json/src.hpp>
