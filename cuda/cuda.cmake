# CUDA backend (MXC_USE_CUDA=ON). Kernels in cuda/*.cu take raw pointers, sizes and a stream; nvcc never compiles
# framework headers. The C++ glue (cuda/*.cc: device layer, kernel registration) is compiled into the core.
#
# cuBLAS: from MXC_CUBLAS_ROOT (a folder with include/cublas_v2.h and lib/libcublas.so*), else from the
# nvidia-cublas Python wheel (nvidia/cu13 or nvidia/cublas, located through python3), else from the CUDA toolkit.
# Without cuBLAS the build uses its own tiled GEMM kernel (with a warning).
#
# cuDNN (MXC_USE_CUDNN, on by default): from MXC_CUDNN_ROOT (a folder with include/cudnn.h and lib/libcudnn.so*),
# else from the nvidia-cudnn-cu13 Python wheel (nvidia/cudnn), else from the toolkit or the system. Without it the
# convolutions use mxc's im2col + GEMM kernels only (cuda/conv_cudnn.cc chooses between the two at run time).
if(MXC_CUDA_EMULATION)
  # The CUDA emulation build: the same sources, the kernels compiled as C++ with cuda/emu/emu.h, the CUDA runtime
  # and cuBLAS calls served by cuda/emu/runtime.cc (see there). Only the toolkit's headers are used.
  find_package(CUDAToolkit QUIET)
  find_path(MXC_CUDA_INCLUDE cuda_runtime.h HINTS ${CUDAToolkit_INCLUDE_DIRS} $ENV{CUDA_HOME}/include
            PATHS /usr/local/cuda/include /usr/local/cuda-13.0/include /usr/include)
  if(NOT MXC_CUDA_INCLUDE)
    message(FATAL_ERROR "MXC_CUDA_EMULATION needs the CUDA toolkit's headers (cuda_runtime.h)")
  endif()
  message(STATUS "mxc: CUDA emulation build (kernels on the CPU; headers from ${MXC_CUDA_INCLUDE})")
  file(GLOB MXC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
  file(GLOB MXC_CUDA_GLUE CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cc)
  set_source_files_properties(${MXC_CUDA_SOURCES} PROPERTIES LANGUAGE CXX)
  add_library(mxc_cuda_objs OBJECT ${MXC_CUDA_SOURCES})
  target_include_directories(mxc_cuda_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${MXC_CUDA_INCLUDE})
  target_compile_definitions(mxc_cuda_objs PRIVATE MXC_CUDA_EMULATION=1)
  target_compile_options(mxc_cuda_objs PRIVATE -x c++ -include ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/emu.h
                                               $<$<CONFIG:Release>:-O2>)
  set(MXC_CUDA_OBJECTS $<TARGET_OBJECTS:mxc_cuda_objs>)
  target_sources(mxc_objs PRIVATE ${MXC_CUDA_GLUE} ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/runtime.cc
                                 ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/cudnn.cc)
  target_include_directories(mxc_objs BEFORE PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu)
  target_include_directories(mxc_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${MXC_CUDA_INCLUDE})
  target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDA=1 MXC_CUDA_EMULATION=1)
  target_compile_definitions(mxc_objs PRIVATE MXC_HAVE_CUBLAS=1)
  if(MXC_USE_CUDNN)  # the emulated cuDNN subset of cuda/emu/cudnn.h
    target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDNN=1)
  endif()
  return()
endif()

enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
set(CMAKE_CUDA_STANDARD 17)
file(GLOB MXC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
file(GLOB MXC_CUDA_GLUE CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cc)
if(MXC_CUDA_SOURCES)
  add_library(mxc_cuda_objs OBJECT ${MXC_CUDA_SOURCES})
  set_target_properties(mxc_cuda_objs PROPERTIES POSITION_INDEPENDENT_CODE ON CUDA_ARCHITECTURES
                                                 "${CMAKE_CUDA_ARCHITECTURES}")
  target_compile_options(mxc_cuda_objs PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3>)
  set(MXC_CUDA_OBJECTS $<TARGET_OBJECTS:mxc_cuda_objs>)
endif()
target_sources(mxc_objs PRIVATE ${MXC_CUDA_GLUE})
target_include_directories(mxc_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${CUDAToolkit_INCLUDE_DIRS})
target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDA=1)
list(APPEND MXC_LINK_LIBS CUDA::cudart)

# ---- cuBLAS ----
set(_mxc_cublas_hints "")
if(DEFINED ENV{MXC_CUBLAS_ROOT})
  list(APPEND _mxc_cublas_hints $ENV{MXC_CUBLAS_ROOT})
endif()
if(MXC_CUBLAS_ROOT)
  list(APPEND _mxc_cublas_hints ${MXC_CUBLAS_ROOT})
endif()
find_program(MXC_PYTHON3 NAMES python3 python)
if(MXC_PYTHON3)
  execute_process(
    COMMAND ${MXC_PYTHON3} -c "import nvidia, os; print(';'.join(os.path.join(p, s) for p in nvidia.__path__ for s in ('cu13', 'cublas')))"
    OUTPUT_VARIABLE _mxc_py_cublas OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_mxc_py_cublas)
    list(APPEND _mxc_cublas_hints ${_mxc_py_cublas})
  endif()
endif()
find_path(MXC_CUBLAS_INCLUDE cublas_v2.h HINTS ${_mxc_cublas_hints} PATH_SUFFIXES include
          PATHS ${CUDAToolkit_INCLUDE_DIRS} NO_DEFAULT_PATH)
find_library(MXC_CUBLAS_LIBRARY NAMES cublas libcublas.so.13 libcublas.so.12 HINTS ${_mxc_cublas_hints}
             PATH_SUFFIXES lib lib64 PATHS ${CUDAToolkit_LIBRARY_DIR} NO_DEFAULT_PATH)
if(MXC_CUBLAS_INCLUDE AND MXC_CUBLAS_LIBRARY)
  message(STATUS "mxc: cuBLAS ${MXC_CUBLAS_LIBRARY}")
  target_include_directories(mxc_objs BEFORE PRIVATE ${MXC_CUBLAS_INCLUDE})
  target_compile_definitions(mxc_objs PRIVATE MXC_HAVE_CUBLAS=1)
  list(APPEND MXC_LINK_LIBS ${MXC_CUBLAS_LIBRARY})
  get_filename_component(_mxc_cublas_dir ${MXC_CUBLAS_LIBRARY} DIRECTORY)
  # The wheel's libraries are found at run time through the rpath (and its cublasLt next to it).
  list(APPEND CMAKE_BUILD_RPATH ${_mxc_cublas_dir})
  list(APPEND CMAKE_INSTALL_RPATH ${_mxc_cublas_dir})
else()
  message(WARNING "mxc: cuBLAS not found (pip install nvidia-cublas==13.0.2.14, or set MXC_CUBLAS_ROOT): "
                  "matrix products use mxc's own GEMM kernel")
endif()

# ---- cuDNN ----
if(MXC_USE_CUDNN)
  set(_mxc_cudnn_hints "")
  foreach(_root $ENV{MXC_CUDNN_ROOT} ${MXC_CUDNN_ROOT})
    list(APPEND _mxc_cudnn_hints ${_root})
  endforeach()
  if(MXC_PYTHON3)
    execute_process(
      COMMAND ${MXC_PYTHON3} -c "import nvidia, os; print(';'.join(os.path.join(p, 'cudnn') for p in nvidia.__path__))"
      OUTPUT_VARIABLE _mxc_py_cudnn OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_mxc_py_cudnn)
      list(APPEND _mxc_cudnn_hints ${_mxc_py_cudnn})
    endif()
  endif()
  find_path(MXC_CUDNN_INCLUDE cudnn.h HINTS ${_mxc_cudnn_hints} PATH_SUFFIXES include
            PATHS ${CUDAToolkit_INCLUDE_DIRS} /usr/include /usr/include/x86_64-linux-gnu)
  find_library(MXC_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 HINTS ${_mxc_cudnn_hints} PATH_SUFFIXES lib lib64
               PATHS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu)
  if(MXC_CUDNN_INCLUDE AND MXC_CUDNN_LIBRARY)
    file(STRINGS ${MXC_CUDNN_INCLUDE}/cudnn_version.h _mxc_cudnn_major REGEX "define CUDNN_MAJOR")
    message(STATUS "mxc: cuDNN ${MXC_CUDNN_LIBRARY} (${_mxc_cudnn_major})")
    target_include_directories(mxc_objs BEFORE PRIVATE ${MXC_CUDNN_INCLUDE})
    target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDNN=1)
    list(APPEND MXC_LINK_LIBS ${MXC_CUDNN_LIBRARY})
    get_filename_component(_mxc_cudnn_dir ${MXC_CUDNN_LIBRARY} DIRECTORY)
    # libcudnn.so.9 loads its engine libraries from its own folder; the rpath finds it there.
    list(APPEND CMAKE_BUILD_RPATH ${_mxc_cudnn_dir})
    list(APPEND CMAKE_INSTALL_RPATH ${_mxc_cudnn_dir})
  else()
    message(STATUS "mxc: cuDNN not found (pip install nvidia-cudnn-cu13, or set MXC_CUDNN_ROOT): convolutions use "
                   "mxc's own im2col + GEMM kernels")
  endif()
endif()
