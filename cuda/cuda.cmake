# CUDA backend (MXC_USE_CUDA=ON). Kernels in cuda/*.cu take raw pointers, sizes and a stream; nvcc never compiles
# framework headers.
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
file(GLOB MXC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
if(MXC_CUDA_SOURCES)
  add_library(mxc_cuda_objs OBJECT ${MXC_CUDA_SOURCES})
  set(MXC_CUDA_OBJECTS $<TARGET_OBJECTS:mxc_cuda_objs>)
endif()
target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDA=1)
list(APPEND MXC_LINK_LIBS CUDA::cudart)
